"""Learning what works: experience details, adaptations, follow-ups and consolidated replies."""
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from ._base import keeps_country_key, utcnow
from .content import Post, Thread
from .users import User

# The four outcomes of issue 10, in the order they are shown and counted.
OUTCOMES = ("worked", "partly", "did_not_work", "too_early")
OUTCOME_LABELS = {"worked": "Worked", "partly": "Partly worked",
                  "did_not_work": "Did not work", "too_early": "Too early to tell"}
FOLLOWUP_SUBJECTS = ("answer", "adaptation")


class ExperienceDetails(db.Model):
    """The structured side of an experience thread: context, what was tried, outcome, lessons.

    The country is the thread's own `country` column, so listings keep one place for it.
    """

    __tablename__ = "experience_details"
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    theme: Mapped[str] = mapped_column(String(100), default="", index=True)
    setting: Mapped[str] = mapped_column(String(100), default="")
    scale: Mapped[str] = mapped_column(String(100), default="")
    period: Mapped[str] = mapped_column(String(100), default="")  # as written: "2022-2024"
    start_year: Mapped[Optional[int]] = mapped_column(index=True)  # parsed, for filters
    end_year: Mapped[Optional[int]] = mapped_column()
    tried: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[Optional[str]] = mapped_column(String(16), index=True)
    lessons: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")  # links, one per line
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    thread: Mapped[Thread] = relationship(backref=backref("experience", uselist=False))
    updated_by: Mapped[Optional[User]] = relationship()
    revisions: Mapped[list["ExperienceRevision"]] = relationship(
        back_populates="details", order_by="ExperienceRevision.id", cascade="all, delete-orphan")

    @property
    def outcome_label(self) -> str:
        """Human words for the outcome ('' when none is given)."""
        return OUTCOME_LABELS.get(self.outcome or "", "")


class ExperienceRevision(db.Model):
    """One saved version of an experience's details: who wrote what, when."""

    __tablename__ = "experience_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("experience_details.thread_id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    details: Mapped[ExperienceDetails] = relationship(back_populates="revisions")
    editor: Mapped[User] = relationship()


@keeps_country_key
class Adaptation(db.Model):
    """A team that adapted a thread's practice (or one answer in it), and how it went."""

    __tablename__ = "adaptations"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[Optional[int]] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(String(100), default="", index=True)
    country_key: Mapped[str] = mapped_column(Text, default="", index=True)  # keeps_country_key
    team: Mapped[str] = mapped_column(String(150), default="")
    changes: Mapped[str] = mapped_column(Text, default="")
    adapted_on: Mapped[Optional[date]] = mapped_column()
    outcome: Mapped[Optional[str]] = mapped_column(String(16))  # None until reported
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    thread: Mapped[Thread] = relationship()
    post: Mapped[Optional[Post]] = relationship()
    user: Mapped[User] = relationship()

    @property
    def outcome_label(self) -> str:
        """Human words for the outcome ('' when not reported yet)."""
        return OUTCOME_LABELS.get(self.outcome or "", "")


class Followup(db.Model):
    """A "did it work?" question put to a member about an accepted answer or an adaptation.

    Unique per (member, subject): however often `flask followups send` runs, one question.
    """

    __tablename__ = "followups"
    __table_args__ = (UniqueConstraint("user_id", "subject", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(16))  # "answer" (a post) | "adaptation"
    subject_id: Mapped[int] = mapped_column()
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[Optional[datetime]] = mapped_column()
    outcome: Mapped[Optional[str]] = mapped_column(String(16))

    user: Mapped[User] = relationship()
    thread: Mapped[Thread] = relationship()


class ConsolidatedReply(db.Model):
    """A question's consolidated reply: an extractive draft, edited, then published (versioned)."""

    __tablename__ = "consolidated_replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"),
                                           unique=True)
    body: Mapped[str] = mapped_column(Text)  # Markdown, the current version
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    thread: Mapped[Thread] = relationship(backref=backref("consolidated", uselist=False))
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])
    published_by: Mapped[Optional[User]] = relationship(foreign_keys=[published_by_id])
    revisions: Mapped[list["ConsolidatedRevision"]] = relationship(
        back_populates="reply", order_by="ConsolidatedRevision.id", cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        """Readers see a consolidated reply only once it is published."""
        return self.published_at is not None

    @property
    def published_version(self) -> Optional["ConsolidatedRevision"]:
        """The latest published version: what readers see while editors work on a new draft."""
        if self.published_at is None:
            return None
        return next((r for r in reversed(self.revisions) if r.published), None)


class ConsolidatedRevision(db.Model):
    """One version of a consolidated reply; `published` marks the versions readers saw."""

    __tablename__ = "consolidated_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(
        ForeignKey("consolidated_replies.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(200), default="")  # e.g. "extractive draft"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reply: Mapped[ConsolidatedReply] = relationship(back_populates="revisions")
    editor: Mapped[User] = relationship()
