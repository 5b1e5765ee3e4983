"""Notifications, watches, notification settings and which threads members read."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import utcnow
from .content import Post, Thread
from .users import User

WATCH_KINDS = ("thread", "category", "tag", "country")
WATCH_LEVELS = ("watching", "muted")
DIGEST_FREQUENCIES = ("daily", "weekly")


class Notification(db.Model):
    """Something that happened for a member; it names no thread: it is rendered when read.

    Security note (issue 11): a stored title outlives the reader's access to it, so only
    ids are kept, and every page or e-mail renders them through forum.permissions.
    """

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="notice")
    thread_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[Optional[int]] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Words the forum or a moderator wrote for this member (a reason); never a title.
    detail: Mapped[str] = mapped_column(String(1000), default="")
    web: Mapped[bool] = mapped_column(default=True)  # False: kept only for its e-mail
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[Optional[User]] = relationship(foreign_keys=[actor_id])
    thread: Mapped[Optional[Thread]] = relationship()
    post: Mapped[Optional[Post]] = relationship()


class Watch(db.Model):
    """A member follows (or, for their own thread, mutes) a thread, category, tag or country."""

    __tablename__ = "watches"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "value", name="uq_watches_user_target"),
        Index("ix_watches_target", "kind", "value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # one of WATCH_KINDS
    value: Mapped[str] = mapped_column(String(100))  # an id, a tag name or a country's place_key
    level: Mapped[str] = mapped_column(String(8), default="watching")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationPreference(db.Model):
    """A member's choice for one group of notification kinds (defaults live in the code)."""

    __tablename__ = "notification_prefs"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    setting: Mapped[str] = mapped_column(String(32), primary_key=True)
    web: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=False)


class DigestSubscription(db.Model):
    """A member who asked for a digest e-mail; no row means no digest."""

    __tablename__ = "digest_subscriptions"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(8))  # one of DIGEST_FREQUENCIES
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThreadRead(db.Model):
    """A member opened a thread: marks its notifications read and ranks "most read"."""

    __tablename__ = "thread_reads"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True)
    first_read_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_read_at: Mapped[datetime] = mapped_column(default=utcnow)
