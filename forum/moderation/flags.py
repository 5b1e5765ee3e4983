"""The flag review queue: open flags grouped by post, resolved by a moderator."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..domain import DomainError
from ..extensions import db
from ..models import Flag, Post, User
from ..models._base import utcnow
from ..notifications import services as notify
from ..permissions import require_moderator
from .services import hidden_holder, hide_post, unhide_post

# Posts hidden by the flag threshold carry this reason until a moderator decides.
AUTO_HIDE_REASON = "Hidden pending review: several members flagged this post."
OUTCOMES = ("actioned", "dismissed")
QUEUE_LIMIT = 500


@dataclass
class FlagGroup:
    """One flagged post and its open flags, oldest first."""

    post: Post
    flags: list[Flag]

    @property
    def flagger_count(self) -> int:
        """How many different members flagged the post."""
        return len({f.flagger_id for f in self.flags})


def open_flag_groups() -> list[FlagGroup]:
    """Posts with open flags, the longest-waiting first."""
    flags = db.session.scalars(
        select(Flag).where(Flag.resolved_at.is_(None)).order_by(Flag.created_at, Flag.id)
        .options(selectinload(Flag.post).selectinload(Post.thread),
                 selectinload(Flag.flagger)).limit(QUEUE_LIMIT)
    )
    groups: dict[int, FlagGroup] = {}
    for flag in flags:
        groups.setdefault(flag.post_id, FlagGroup(flag.post, [])).flags.append(flag)
    return list(groups.values())


def open_flag_count() -> int:
    """Open flags waiting for a moderator."""
    return db.session.scalar(select(func.count(Flag.id)).where(Flag.resolved_at.is_(None)))


def open_flags_for(post: Post) -> list[Flag]:
    """The post's open flags."""
    return list(db.session.scalars(select(Flag).where(
        Flag.post_id == post.id, Flag.resolved_at.is_(None)).order_by(Flag.id)))


def _tell_flaggers(flags: list[Flag], outcome: str, post: Post) -> None:
    words = ("a moderator hid the post" if outcome == "actioned"
             else "a moderator reviewed it and left the post as it is")
    for flagger_id in sorted({f.flagger_id for f in flags}):
        notify.tell_id(flagger_id, "flag_outcome", thread=post.thread, post=post, detail=words)


def resolve_flags(moderator: User, post: Post, outcome: str, note: str = "") -> int:
    """Act on (hide the post) or dismiss a post's open flags; tell each flagger the outcome."""
    require_moderator(moderator)
    if outcome not in OUTCOMES:
        raise DomainError(("outcome", "Hide the post or dismiss the flags."))
    flags = open_flags_for(post)
    if not flags:
        raise DomainError((None, "This post has no open flags."))
    now, note = utcnow(), (note or "").strip()[:1000]
    for flag in flags:
        flag.resolved_at, flag.resolved_by_id = now, moderator.id
        flag.outcome, flag.outcome_note = outcome, note
    holder = hidden_holder(post)
    pending = holder.is_hidden and holder.hidden_reason == AUTO_HIDE_REASON
    if outcome == "actioned" and (pending or not holder.is_hidden):
        reasons = ", ".join(sorted({f.reason for f in flags}))
        hide_post(moderator, post, note or f"Flagged as {reasons}.", commit=False)
    elif outcome == "dismissed" and pending:
        unhide_post(moderator, post, note or "Flags dismissed.", commit=False)
    _tell_flaggers(flags, outcome, post)
    audit.record(moderator, f"flags.{outcome}", "post", post.id, note,
                 f"{len(flags)} flags: " + ", ".join(f.reason for f in flags))
    db.session.commit()
    return len(flags)
