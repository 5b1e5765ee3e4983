"""The outgoing mail queue: a row per e-mail, rendered and permission-checked when sent."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import utcnow
from .notifications import Notification
from .users import User

MAIL_KINDS = ("notification", "digest", "password_reset", "email_confirm")
MAIL_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")


class OutboxMessage(db.Model):
    """One e-mail to one member; a down mail server leaves it pending, never lost.

    The text is not stored: it is rendered at send time, so the e-mail says only what
    the recipient may see then (issue 11).
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of MAIL_KINDS
    notification_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"))
    # Unique: a second `digest send` in the same period finds its row and adds none.
    dedup_key: Mapped[Optional[str]] = mapped_column(String(100), unique=True)
    window_start: Mapped[Optional[datetime]] = mapped_column()  # digests: news since then
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[Optional[datetime]] = mapped_column()
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column()

    user: Mapped[User] = relationship()
    notification: Mapped[Optional[Notification]] = relationship()
