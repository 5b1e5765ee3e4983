"""Featured practices, flags and the audit log."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import utcnow
from .content import Post, Thread
from .users import User

FLAG_REASONS = ("spam", "off-topic", "harmful", "duplicate", "other")


class FeaturedPractice(db.Model):
    """A thread curated into the practice library, with a versioned summary."""

    __tablename__ = "featured_practices"
    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), unique=True)
    summary: Mapped[str] = mapped_column(Text)  # Markdown, the current version
    featured_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    thread: Mapped[Thread] = relationship(backref="featured")
    featured_by: Mapped[User] = relationship()
    revisions: Mapped[list["FeaturedRevision"]] = relationship(
        back_populates="practice", order_by="FeaturedRevision.id", cascade="all, delete-orphan"
    )


class FeaturedRevision(db.Model):
    """One version of a curated summary: who wrote what, when."""

    __tablename__ = "featured_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("featured_practices.id", ondelete="CASCADE"), index=True
    )
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    practice: Mapped[FeaturedPractice] = relationship(back_populates="revisions")
    editor: Mapped[User] = relationship()


class Flag(db.Model):
    """A member's report of a post, waiting in the review queue until resolved."""

    __tablename__ = "flags"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    flagger_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[Optional[datetime]] = mapped_column()
    resolved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[Optional[str]] = mapped_column(String(16))  # "actioned" | "dismissed"
    outcome_note: Mapped[str] = mapped_column(String(1000), default="")

    post: Mapped[Post] = relationship()
    flagger: Mapped[User] = relationship(foreign_keys=[flagger_id])
    resolved_by: Mapped[Optional[User]] = relationship(foreign_keys=[resolved_by_id])


class AuditLog(db.Model):
    """Every moderation action: who, what, when, why."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(1000), default="")
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User] = relationship()
