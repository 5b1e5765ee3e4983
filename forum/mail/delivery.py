"""Send what the queue holds: render each e-mail at send time, deliver it once, log the rest."""
import logging
from dataclasses import dataclass, field
from typing import Callable, Optional

from flask import current_app

from ..auth import confirm, reset
from ..extensions import db
from ..models import OutboxMessage
from ..notifications import digest, emails
from . import outbox, smtp
from .compose import Cancel, Composed, build, site_context

log = logging.getLogger(__name__)

# What each kind of queued e-mail says, decided when it is sent (never stored).
COMPOSERS: dict[str, Callable[[OutboxMessage], Composed]] = {
    "notification": emails.compose,
    "digest": digest.compose,
    "password_reset": reset.compose,
    "email_confirm": confirm.compose,
}
# Where each kind goes when not to the member's address: a confirmation goes to the
# address waiting for it (issue 12).
RECIPIENTS: dict[str, Callable[[OutboxMessage], Optional[str]]] = {
    "email_confirm": confirm.recipient,
}


def recipient(row: OutboxMessage) -> Optional[str]:
    """The address a queued e-mail goes to."""
    return RECIPIENTS[row.kind](row) if row.kind in RECIPIENTS else row.user.email


@dataclass
class Report:
    """What one round of sending did."""

    sent: int = 0
    cancelled: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.sent} sent, {self.cancelled} cancelled, {self.retrying} to retry, "
                f"{self.failed} failed")


def _compose(row: OutboxMessage, report: Report) -> Optional[Composed]:
    """The e-mail for a row, or None when it must not go out (the row is then finished)."""
    try:
        if not recipient(row) or row.user.is_placeholder:
            raise Cancel("the member has no e-mail address")
        with site_context():
            return COMPOSERS[row.kind](row)
    except Cancel as reason:
        outbox.mark_cancelled(row.id, str(reason))
        report.cancelled += 1
    except Exception as exc:  # noqa: BLE001 - one broken e-mail must not stop the others
        db.session.rollback()
        log.exception("E-mail %s could not be rendered", row.id)
        status = outbox.mark_failed(row.id, f"could not be rendered: {type(exc).__name__}: {exc}")
        report.failed += status == "failed"
        report.retrying += status == "pending"
    return None


class _Round:
    """One SMTP connection, opened when the first e-mail is ready and reused for the rest."""

    def __init__(self, report: Report):
        self.report, self.conn = report, None
        self.down: Optional[Exception] = None  # the server could not be reached this round

    def send(self, row: OutboxMessage, message) -> None:
        if self.down is not None:
            # One unreachable server is enough: the rest wait for their retry, not a timeout each.
            return self._failed(row.id, self.down)
        try:
            if self.conn is None:
                self.conn = self._connect()
            smtp.send(self.conn, message)
        except smtp.SEND_ERRORS as exc:
            self._failed(row.id, exc)
            self.close()  # the next e-mail reconnects: a hang-up costs one message a try
        else:
            outbox.mark_sent(row.id)
            self.report.sent += 1

    def _connect(self):
        try:
            return smtp.connect(current_app.config)
        except smtp.SEND_ERRORS as exc:
            self.down = exc
            raise

    def _failed(self, outbox_id: int, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        status = outbox.mark_failed(outbox_id, error, smtp.is_permanent(exc))
        self.report.errors.append(error)
        if status == "failed":
            self.report.failed += 1
        else:
            self.report.retrying += 1
        log.warning("E-mail %s not sent: %s", outbox_id, error)

    def close(self) -> None:
        if self.conn is not None:
            smtp.close(self.conn)
        self.conn = None


def deliver_due(limit: int = 200) -> Report:
    """Send every e-mail that is due, each at most once even with several senders running."""
    report = Report()
    if not smtp.is_configured(current_app.config):
        raise smtp.MailNotConfigured("MAIL_SERVER is not set.")
    outbox.release_stale()
    sending = _Round(report)
    try:
        for outbox_id in outbox.due_ids(limit=limit):
            if not outbox.claim(outbox_id):
                continue  # another sender took it
            row = db.session.get(OutboxMessage, outbox_id)
            composed = _compose(row, report)
            if composed is not None:
                sending.send(row, build(composed, recipient(row), row.id))
    finally:
        sending.close()
    return report


def send_test(address: str) -> None:
    """Send one test e-mail now, past the queue; raises when the settings do not work."""
    text = "This is a test e-mail from Headstart: the mail settings work.\n"
    html = "<p>This is a test e-mail from Headstart: the mail settings work.</p>\n"
    message = build(Composed("Headstart: test e-mail", text, html), address)
    with smtp.connection(current_app.config) as conn:
        smtp.send(conn, message)
