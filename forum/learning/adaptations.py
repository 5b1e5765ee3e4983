"""'We adapted this': teams record adapting a thread's practice, and later how it went."""
from datetime import date
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit, permissions
from ..domain import DomainError, NotAllowed
from ..extensions import db
from ..models import OUTCOMES, Adaptation, Post, Thread, User
from ..models._base import utcnow

LIMITS = {"country": 100, "team": 150, "changes": 5000}
EARLIEST = date(1990, 1, 1)


def can_adapt(user, thread: Thread) -> bool:
    """Active members who may read a thread can record that their team adapted it."""
    return (permissions.can_post(user) and not thread.is_deleted
            and permissions.can_view_thread(user, thread))


def can_change(user, adaptation: Adaptation) -> bool:
    """The adapter changes their own record; moderators may remove any."""
    return permissions.can_post(user) and (
        adaptation.user_id == user.id or permissions.is_moderator(user))


def own_adaptation(user, thread: Thread) -> Optional[Adaptation]:
    """The member's adaptation of this thread, if they recorded one."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Adaptation).where(
        Adaptation.thread_id == thread.id, Adaptation.user_id == user.id))


def check_outcome(outcome: Optional[str]) -> Optional[str]:
    """One of the four outcomes, or None for "not known yet"."""
    outcome = (outcome or "").strip() or None
    if outcome is not None and outcome not in OUTCOMES:
        raise DomainError(("outcome", "Choose one of the four outcomes."))
    return outcome


def _check(thread: Thread, country: str, team: str, changes: str, adapted_on: Optional[date],
           post_id: Optional[int]) -> dict:
    # NUL bytes are never meaningful and PostgreSQL refuses them in text.
    values = {k: (v or "").replace("\x00", "").strip()
              for k, v in (("country", country), ("team", team), ("changes", changes))}
    reasons = [(k, f"Use at most {LIMITS[k]:,} characters.")
               for k, v in values.items() if len(v) > LIMITS[k]]
    if not values["country"] and not values["team"]:
        reasons.append(("country", "Say which country (or which team) adapted it."))
    if adapted_on is not None and not EARLIEST <= adapted_on <= utcnow().date():
        reasons.append(("adapted_on", "Give a date that is not in the future."))
    if post_id and not _answer_of(thread, post_id):
        reasons.append(("post_id", "Choose an answer of this thread."))
    if reasons:
        raise DomainError(*reasons)
    return values


def _answer_of(thread: Thread, post_id: int) -> Optional[Post]:
    """A visible reply of the thread (the one the team adapted)."""
    post = db.session.get(Post, post_id)
    if post is None or post.thread_id != thread.id or post.is_deleted or post.is_hidden:
        return None
    return post


def record_adaptation(user: User, thread: Thread, *, country: str = "", team: str = "",
                      changes: str = "", adapted_on: Optional[date] = None,
                      outcome: Optional[str] = None, post_id: Optional[int] = None) -> Adaptation:
    """Record (or update) the member's adaptation of a thread; one per member and thread."""
    if not can_adapt(user, thread):
        raise NotAllowed("You cannot record an adaptation of this thread.")
    values = _check(thread, country, team, changes, adapted_on, post_id)
    outcome = check_outcome(outcome)
    adaptation = own_adaptation(user, thread)
    if adaptation is None:
        adaptation = Adaptation(thread_id=thread.id, user_id=user.id)
        db.session.add(adaptation)
    for key, value in values.items():
        setattr(adaptation, key, value)
    adaptation.adapted_on, adaptation.outcome = adapted_on, outcome
    adaptation.post_id = post_id or None
    adaptation.updated_at = utcnow()
    db.session.commit()
    return adaptation


def set_outcome(user: User, adaptation: Adaptation, outcome: str) -> Adaptation:
    """The adapter reports how it went (one click); any of the four outcomes."""
    if adaptation.user_id != user.id or not permissions.can_post(user):
        raise NotAllowed("Only the team that adapted it can report its outcome.")
    if not (outcome or "").strip():
        raise DomainError(("outcome", "Choose one of the four outcomes."))
    adaptation.outcome = check_outcome(outcome)
    adaptation.updated_at = utcnow()
    db.session.commit()
    return adaptation


def remove_adaptation(user: User, adaptation: Adaptation) -> None:
    """The adapter withdraws their record, or a moderator removes it (audited)."""
    if not can_change(user, adaptation):
        raise NotAllowed("You can only remove your own adaptation.")
    if adaptation.user_id != user.id:
        audit.record(user, "adaptation.remove", "thread", adaptation.thread_id,
                     details=f"adaptation by user {adaptation.user_id}")
    db.session.delete(adaptation)
    db.session.commit()


def adaptations_of(thread: Thread) -> list[Adaptation]:
    """Every adaptation of a thread (the caller has checked the thread is visible), newest first."""
    return list(db.session.scalars(
        select(Adaptation).where(Adaptation.thread_id == thread.id)
        .options(selectinload(Adaptation.user), selectinload(Adaptation.post))
        .order_by(Adaptation.created_at.desc(), Adaptation.id.desc())))
