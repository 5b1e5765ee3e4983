"""Build e-mails: multipart text + HTML from templates, with links to the forum's address."""
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Iterator, Optional

from flask import current_app, render_template


class Cancel(Exception):
    """This e-mail must not go out (nothing left the recipient may see, no address…)."""


@dataclass
class Composed:
    """What one e-mail says, before addressing."""

    subject: str
    text: str
    html: str
    unsubscribe_url: Optional[str] = None  # List-Unsubscribe, one click (RFC 8058)
    bulk: bool = False  # digests: Precedence: bulk


@contextmanager
def site_context() -> Iterator[None]:
    """A request context on FORUM_BASE_URL, so url_for(_external=True) builds real links.

    E-mails are rendered by the background sender and by the CLI, which have no request
    of their own; the forum's public address comes from the configuration instead.
    """
    base = current_app.config.get("FORUM_BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context("/", base_url=base.rstrip("/")):
        yield


def render(template: str, **context) -> tuple[str, str]:
    """The text and HTML versions of a mail template (templates/mail/<name>.txt|.html)."""
    return (render_template(f"mail/{template}.txt", **context),
            render_template(f"mail/{template}.html", **context))


def message_id(outbox_id: Optional[int], sender: str) -> str:
    """A stable Message-ID per queued e-mail, so a retried send carries the same one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    if outbox_id is None:
        return make_msgid("headstart", domain=domain)
    return f"<headstart.outbox-{outbox_id}@{domain}>"


def build(composed: Composed, to: str, outbox_id: Optional[int] = None) -> EmailMessage:
    """The MIME message for one recipient: only their own address is on it."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    msg = EmailMessage()
    msg["Subject"] = composed.subject
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id(outbox_id, sender)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office robots stay quiet
    if composed.bulk:
        msg["Precedence"] = "bulk"
    if composed.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{composed.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(composed.text)
    msg.add_alternative(composed.html, subtype="html")
    return msg
