"""A small community shared by the answers, featured, moderation and admin tests."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import AuditLog
from forum.models._base import utcnow
from tests.conftest import CSRF_RE
from tests.factories import make_category, make_reply, make_thread, make_user


@dataclass
class Community:
    """Ids of the rows every issue-5 test starts from."""

    thread: int
    opening: int
    reply: int  # by bob
    reply2: int  # by carla
    category: int
    lounge: int


def build(app) -> Community:
    """Members amina (asker), bob, carla, dan; helen (moderator), root (admin), sam (suspended)."""
    with app.app_context():
        amina, bob, carla = make_user("amina"), make_user("bob"), make_user("carla")
        make_user("dan")
        make_user("helen", role="moderator")
        make_user("root", role="admin")
        make_user("sam", suspended_until=utcnow() + timedelta(days=7),
                  suspended_reason="cooling off")
        funds = make_category("Pooled funding")
        lounge = make_category("Lounge", visibility="members")
        thread = make_thread(amina, funds, "How did you set up a pooled fund?",
                             "We are starting one next year.", country="Kenya", tags=["funds"])
        reply = make_reply(bob, thread, "We used a steering committee with rotating chairs.")
        reply2 = make_reply(carla, thread, "Start with a small pilot window.")
        return Community(thread.id, thread.opening_post.id, reply.id, reply2.id, funds.id,
                         lounge.id)


def token(client) -> str:
    """The session's CSRF token, from the login page (guests) or the page header (members)."""
    response = client.get("/login")
    if response.status_code != 200:
        response = client.get("/")
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "no CSRF token found"
    return match.group(1)


def post(client, url: str, data=None, csrf: bool = True):
    """POST a form like a browser would, with the CSRF token unless csrf=False."""
    data = dict(data or {})
    if csrf:
        data.setdefault("csrf_token", token(client))
    return client.post(url, data=data)


def as_user(client, auth, username: str):
    """Log the client in as username (logging out whoever was in)."""
    post(client, "/logout")
    response = auth.login(username)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def audit_count(app, action: str) -> int:
    """How many audit rows of that action exist."""
    with app.app_context():
        return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == action))


def is_login_redirect(response) -> bool:
    """True when a guest was sent to the login page."""
    return response.status_code == 302 and "/login" in response.headers["Location"]
