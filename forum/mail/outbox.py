"""The mail queue in the database: add, claim once, record the outcome, back off on failure."""
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Notification, OutboxMessage, User
from ..models._base import utcnow
from .smtp import is_configured

# A row claimed longer ago than this belongs to a sender that died mid-send: retry it.
STALE_CLAIM = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)


def enqueue(user: User, kind: str, *, notification: Optional[Notification] = None,
            dedup_key: Optional[str] = None, window_start: Optional[datetime] = None,
            delay: int = 0) -> Optional[OutboxMessage]:
    """Queue an e-mail to a member (the caller's commit writes it); None while mail is off."""
    if not is_configured(current_app.config):
        return None  # a forum without a mail server must not pile up a queue to flood later
    row = OutboxMessage(user=user, kind=kind, notification=notification, dedup_key=dedup_key,
                        window_start=window_start,
                        next_attempt_at=utcnow() + timedelta(seconds=max(0, delay)))
    db.session.add(row)
    db.session.info["mail_queued"] = True  # the background sender wakes after the commit
    return row


def release_stale(now: Optional[datetime] = None) -> int:
    """Put rows whose sender died mid-send back in the queue; returns how many."""
    now = now or utcnow()
    result = db.session.execute(update(OutboxMessage).where(
        OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STALE_CLAIM)
        .values(status="pending", next_attempt_at=now))
    db.session.commit()
    return result.rowcount


def due_ids(now: Optional[datetime] = None, limit: int = 200) -> list[int]:
    """Ids of pending e-mails whose time has come, oldest first."""
    return list(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= (now or utcnow()))
        .order_by(OutboxMessage.id).limit(limit)))


def claim(outbox_id: int) -> bool:
    """Take one row for sending; False when another sender (thread, worker, cron) has it."""
    # One conditional UPDATE: of two senders racing for a row, exactly one sees rowcount 1.
    result = db.session.execute(update(OutboxMessage).where(
        OutboxMessage.id == outbox_id, OutboxMessage.status == "pending")
        .values(status="sending", claimed_at=utcnow(), attempts=OutboxMessage.attempts + 1))
    db.session.commit()
    return result.rowcount == 1


def _finish(outbox_id: int, **values) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values))
    db.session.commit()


def mark_sent(outbox_id: int) -> None:
    """Record a delivery (the server accepted the message)."""
    _finish(outbox_id, status="sent", sent_at=utcnow(), last_error="")


def mark_cancelled(outbox_id: int, reason: str) -> None:
    """Record that the e-mail will not go out, and why."""
    _finish(outbox_id, status="cancelled", last_error=reason[:500])


def mark_failed(outbox_id: int, error: str, permanent: bool = False) -> str:
    """Record a failed attempt: retry later with a doubled wait, or give up; returns the status."""
    row = db.session.get(OutboxMessage, outbox_id)
    config = current_app.config
    gave_up = permanent or row.attempts >= int(config.get("MAIL_MAX_ATTEMPTS") or 8)
    base = timedelta(seconds=float(config.get("MAIL_RETRY_BASE") or 0))
    wait = min(base * (2 ** max(0, row.attempts - 1)), MAX_BACKOFF)
    status = "failed" if gave_up else "pending"
    _finish(outbox_id, status=status, last_error=error[:500], next_attempt_at=utcnow() + wait)
    return status


def counts() -> dict[str, int]:
    """How many e-mails are in each state."""
    rows = db.session.execute(select(OutboxMessage.status, func.count(OutboxMessage.id))
                              .group_by(OutboxMessage.status))
    return {status: n for status, n in rows}
