"""Follow-ups ("did it work?"): some time after an answer is accepted or an adaptation is
recorded, the asker or the adapter is asked for the outcome; one click answers.

`pending_followups(user)` is the public read side (the forum's "Did it work?" list, and
e-mail digests later). `send_followups` is what `flask followups send` runs from cron:
the unique (user, subject, subject_id) constraint means running it twice asks once.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import permissions
from ..domain import DomainError, NotAllowed
from ..extensions import db
from ..models import Adaptation, Followup, Post, Thread, User
from ..models._base import utcnow
from .adaptations import check_outcome

DEFAULT_AFTER_DAYS = 60


def after_days_setting(config) -> int:
    """FOLLOWUP_AFTER_DAYS as whole days (it may come from the environment as text)."""
    try:
        days = int(config.get("FOLLOWUP_AFTER_DAYS", DEFAULT_AFTER_DAYS))
    except (TypeError, ValueError):
        days = -1
    if days < 0:
        raise ValueError("FOLLOWUP_AFTER_DAYS must be a whole number of days.")
    return days


@dataclass(frozen=True)
class Due:
    """A follow-up that is due: whom to ask, about what."""

    user_id: int
    subject: str  # "answer" | "adaptation"
    subject_id: int
    thread_id: int

    def key(self) -> tuple:
        """The follow-up's identity (the table's unique constraint)."""
        return (self.user_id, self.subject, self.subject_id)


def _asked() -> set[tuple]:
    return set(db.session.execute(select(Followup.user_id, Followup.subject, Followup.subject_id)))


def _may_ask(user: User, thread: Thread) -> bool:
    # Imported archive authors cannot log in to answer; a thread they can no longer read
    # (moved to a restricted category, deleted, hidden) is not theirs to report on.
    return not user.is_placeholder and permissions.can_view_thread(user, thread)


def due_followups(now: Optional[datetime] = None,
                  after_days: int = DEFAULT_AFTER_DAYS) -> list[Due]:
    """Every follow-up that is due and has not been asked yet, oldest first."""
    cutoff = (now or utcnow()) - timedelta(days=after_days)
    asked, due = _asked(), []
    reported = set(db.session.execute(select(Adaptation.thread_id, Adaptation.user_id).where(
        Adaptation.outcome.is_not(None), Adaptation.outcome != "too_early")))
    for thread in db.session.scalars(select(Thread).where(
            Thread.accepted_at <= cutoff, Thread.accepted_post_id.is_not(None),
            Thread.deleted_at.is_(None)).order_by(Thread.accepted_at)):
        item = Due(thread.author_id, "answer", thread.accepted_post_id, thread.id)
        if (item.key() not in asked and (thread.id, thread.author_id) not in reported
                and _may_ask(thread.author, thread)):
            due.append(item)
    for adaptation in db.session.scalars(select(Adaptation).where(
            Adaptation.created_at <= cutoff,
            or_(Adaptation.outcome.is_(None), Adaptation.outcome == "too_early"))
            .order_by(Adaptation.created_at)):
        item = Due(adaptation.user_id, "adaptation", adaptation.id, adaptation.thread_id)
        if item.key() not in asked and _may_ask(adaptation.user, adaptation.thread):
            due.append(item)
    return due


def send_followups(now: Optional[datetime] = None, after_days: int = DEFAULT_AFTER_DAYS,
                   dry_run: bool = False) -> list[Due]:
    """Ask every due follow-up once; returns what was (or, with dry_run, would be) asked."""
    for _attempt in range(2):
        due = due_followups(now, after_days)
        if dry_run or not due:
            return due
        db.session.add_all(Followup(user_id=d.user_id, subject=d.subject, subject_id=d.subject_id,
                                    thread_id=d.thread_id, asked_at=now or utcnow()) for d in due)
        try:
            db.session.commit()
            return due
        except IntegrityError:  # another run (cron overlap) asked some of them first
            db.session.rollback()
    return []


def pending_followups(user) -> list[Followup]:
    """The member's unanswered follow-ups about threads they may still read, oldest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(_pending(user).order_by(Followup.asked_at, Followup.id)))


def pending_count(user) -> int:
    """How many follow-ups wait for the member (the same ones the list shows), in one
    statement: every page a member opens shows the count."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(_pending(user).with_only_columns(func.count(Followup.id))) or 0


def _pending(user):
    """Unanswered follow-ups of ``user`` on threads they may read, whose subject still exists
    (the adaptation, or the accepted answer not deleted)."""
    readable = permissions.visible_threads(user).with_only_columns(Thread.id)
    subject_stands = or_(
        and_(Followup.subject == "adaptation",
             exists().where(Adaptation.id == Followup.subject_id)),
        and_(Followup.subject != "adaptation",
             exists().where(Post.id == Followup.subject_id, Post.deleted_at.is_(None))))
    return select(Followup).where(Followup.user_id == user.id, Followup.answered_at.is_(None),
                                  Followup.thread_id.in_(readable), subject_stands)


def subject_of(followup: Followup):
    """The adaptation, or the accepted answer (a Post) the follow-up asks about, or None."""
    if followup.subject == "adaptation":
        return db.session.get(Adaptation, followup.subject_id)
    post = db.session.get(Post, followup.subject_id)
    return post if post is not None and not post.is_deleted else None


def answer_followup(user: User, followup: Followup, outcome: str) -> Adaptation:
    """Record the member's answer: it updates the adaptation (or the asker's own record)."""
    if followup.user_id != user.id or not permissions.can_post(user):
        raise NotAllowed("This question was put to someone else.")
    if not (outcome or "").strip():
        raise DomainError(("outcome", "Choose one of the four outcomes."))
    outcome = check_outcome(outcome)
    subject = subject_of(followup)
    if subject is None or not permissions.can_view_thread(user, followup.thread):
        raise DomainError((None, "What this question was about is no longer there."))
    if followup.subject == "adaptation":
        record = subject
    else:
        record = _askers_record(user, followup.thread, subject.id)
    record.outcome, record.updated_at = outcome, utcnow()
    followup.answered_at, followup.outcome = utcnow(), outcome
    db.session.commit()
    return record


def _askers_record(user: User, thread: Thread, post_id: int) -> Adaptation:
    """The asker's team applied the accepted answer: that is their adaptation of the thread."""
    record = db.session.scalar(select(Adaptation).where(
        Adaptation.thread_id == thread.id, Adaptation.user_id == user.id))
    if record is None:
        record = Adaptation(thread_id=thread.id, user_id=user.id, post_id=post_id,
                            country=thread.country or user.country, team=user.organisation,
                            changes="")
        db.session.add(record)
    return record
