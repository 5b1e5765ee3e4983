"""What happens to similar-thread suggestions (issue 13): raw events, then daily counts.

Privacy: the only person-linked value is the member id the forum already has. A
draft is kept as a keyed digest and a length, never as text; a composer session
is a random token. Members who opt out get no rows, and their past rows go.
"""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import utcnow

# shown: a thread listed at a rank (once per composer session, thread and rank);
# opened: a listed thread clicked; dismissed: "None of these answers my question";
# posted: the draft became a thread; duplicate: that thread was later closed as a
# duplicate (thread_id = the original, rank = where it was shown, None = never shown).
EVENT_KINDS = ("shown", "opened", "dismissed", "posted", "duplicate")


class SuggestionEvent(db.Model):
    """One thing that happened to the suggestions of one composer session."""

    __tablename__ = "suggestion_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    session: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    rank: Mapped[Optional[int]] = mapped_column()
    new_thread_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    draft_digest: Mapped[str] = mapped_column(String(32), default="")
    draft_length: Mapped[int] = mapped_column(default=0)


class SuggestionDaily(db.Model):
    """Events older than SUGGESTION_LOG_DAYS, counted per day, kind and rank (0 = no rank)."""

    __tablename__ = "suggestion_daily"
    __table_args__ = (UniqueConstraint("day", "kind", "rank"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(24))
    rank: Mapped[int] = mapped_column(default=0)
    count: Mapped[int] = mapped_column(default=0)


class SuggestionOptOut(db.Model):
    """A member who asked that nothing about their use of suggestions be recorded."""

    __tablename__ = "suggestion_opt_outs"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
