"""A small community for the issue-11 tests: a public and a team-only thread, and mail helpers."""
import email
import socket
import threading
from dataclasses import dataclass
from email.policy import default as default_policy

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Notification, OutboxMessage, User
from tests.factories import make_category, make_group, make_thread, make_user
from tests.forum.community import post

BACKENDS = ["sqlite", "postgres"]
PUBLIC_TITLE = "How did you set up a pooled fund?"
SECRET_TITLE = "Kenya team budget for the next cycle"


@dataclass
class World:
    """Ids of what every issue-11 test starts from."""

    public: int  # amina's thread in a public category
    secret: int  # amina's thread in the Kenya team's category
    public_category: int
    team_category: int
    team: int


def build(app) -> World:
    """amina (asker) and carla in the Kenya team; bob, dan outside; helen moderates; erin has no e-mail."""
    with app.app_context():
        amina = make_user("amina", email="amina@example.org", display_name="Amina Diallo")
        carla = make_user("carla", email="carla@example.org", display_name="Carla Ruiz")
        make_user("bob", email="bob@example.org", display_name="Bob Otieno")
        make_user("dan", email="dan@example.org")
        make_user("helen", role="moderator", email="helen@example.org")
        make_user("erin")
        team = make_group("Kenya team", [amina, carla])
        public = make_category("Funding")
        room = make_category("Kenya team room", "group", team)
        pub = make_thread(amina, public, PUBLIC_TITLE, "We start one next year.",
                          country="Kenya", tags=["pooled-funds"])
        secret = make_thread(amina, room, SECRET_TITLE, "Draft numbers for the team.",
                             country="Kenya", tags=["pooled-funds"])
        return World(pub.id, secret.id, public.id, room.id, team.id)


def user_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == name))


def kinds_for(app, name: str) -> list[str]:
    """The kinds of notification stored for a member, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(Notification.kind).join(
            User, User.id == Notification.user_id).where(User.username == name)
            .order_by(Notification.id)))


def outbox_count(app, **where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(OutboxMessage.id)).filter_by(**where))


# --- acting through the pages, like a member -----------------------------------------

def reply(client, thread_id: int, body: str, **extra):
    """Post a reply through the thread page's form."""
    response = post(client, f"/threads/{thread_id}/reply", {"body": body, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def watch(client, kind: str, value, on: bool = True):
    """Press a Watch (or stop watching) button."""
    return post(client, "/watch", {"kind": kind, "value": str(value), "on": "1" if on else "0",
                                    "next": "/"})


def new_thread(client, category_id: int, title: str, body: str, **extra):
    """Post a thread through the composer."""
    data = {"title": title, "body": body, "category": category_id, "kind": "question", **extra}
    response = post(client, "/threads/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def inbox(client) -> str:
    """The member's notifications page."""
    return client.get("/notifications").get_data(as_text=True)


# --- a real SMTP server (aiosmtpd) --------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailCatcher:
    """An aiosmtpd server on loopback that keeps and parses every message it accepts."""

    def __init__(self, port: int):
        self.port = port
        self.received: list = []  # (envelope recipients, parsed message)
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        """Keep the message (the aiosmtpd handler hook)."""
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> "MailCatcher":
        from aiosmtpd.controller import Controller
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list:
        with self._lock:
            return [message for _, message in self.received]

    def to(self, address: str) -> list:
        """Messages whose envelope went to this address."""
        with self._lock:
            return [message for rcpt, message in self.received if address in rcpt]


def mail_config(port: int) -> dict:
    """Settings that send to the catcher at once (no notification delay, no retry wait)."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_DELAY": 0,
            "MAIL_RETRY_BASE": 0, "MAIL_DEFAULT_SENDER": "Headstart <forum@headstart.test>",
            "FORUM_BASE_URL": "https://forum.headstart.test", "MAIL_TIMEOUT": 5}


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


# --- fixtures (import them into a test module) --------------------------------------

@pytest.fixture
def world(app) -> World:
    """The issue-11 community on the test's database."""
    return build(app)


@pytest.fixture
def smtp():
    """A running MailCatcher on a free loopback port."""
    catcher = MailCatcher(free_port()).start()
    yield catcher
    catcher.stop()


@pytest.fixture
def mail_app(app, smtp):
    """The app, configured to send through the test's SMTP server."""
    app.config.update(mail_config(smtp.port))
    return app
