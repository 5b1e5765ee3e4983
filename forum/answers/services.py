"""Accepted answers, helpful votes, bookmarks and flags: plain values in, commit, DomainError out."""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit, permissions
from ..domain import DomainError, NotAllowed
from ..extensions import db
from ..models import FLAG_REASONS, Bookmark, Flag, Post, Thread, User, Vote
from ..models._base import utcnow
from ..moderation.flags import AUTO_HIDE_REASON
from ..moderation.services import hidden_holder
from ..notifications import services as notify


def can_accept(user, thread: Thread) -> bool:
    """The asker or a moderator, while not suspended, may accept an answer."""
    if not permissions.can_post(user):
        return False
    return permissions.is_moderator(user) or thread.author_id == user.id


def can_vote(user, post: Post) -> bool:
    """Active members may mark other people's visible posts helpful."""
    return (permissions.can_post(user) and post.author_id != user.id
            and not post.is_deleted and permissions.can_view_post(user, post))


can_flag = can_vote  # the same rule: an active member, someone else's visible post


def accept_answer(user: User, post: Post) -> None:
    """Mark a reply as the thread's accepted answer; the thread becomes solved."""
    thread = post.thread
    if not can_accept(user, thread):
        raise NotAllowed("Only the asker or a moderator can accept an answer.")
    if post.is_opening or post.is_deleted or post.is_hidden:
        raise DomainError((None, "Only a visible reply can be the accepted answer."))
    if thread.status == "closed" and not permissions.is_moderator(user):
        raise DomainError((None, "This thread is closed."))
    already = thread.accepted_post_id == post.id
    if not already:
        thread.accepted_post_id, thread.accepted_at = post.id, utcnow()
    if thread.status != "closed":
        thread.status = "solved"
    if thread.author_id != user.id:
        audit.record(user, "answer.accept", "post", post.id)
    if not already:  # accepting the same answer twice tells nobody twice
        notify.on_accepted(thread, post, user)
    db.session.commit()


def unaccept_answer(user: User, thread: Thread) -> None:
    """Withdraw the accepted answer; a solved thread reopens."""
    if not can_accept(user, thread):
        raise NotAllowed("Only the asker or a moderator can change the accepted answer.")
    if thread.accepted_post_id is None:
        raise DomainError((None, "This thread has no accepted answer."))
    if thread.author_id != user.id:
        audit.record(user, "answer.unaccept", "post", thread.accepted_post_id)
    thread.accepted_post_id = thread.accepted_at = None
    if thread.status == "solved":
        thread.status = "open"
    db.session.commit()


def set_helpful(user: User, post: Post, on: bool) -> bool:
    """Add or withdraw the member's helpful vote (idempotent); returns the new state."""
    if not permissions.can_post(user):
        raise NotAllowed("Your account cannot vote right now.")
    if post.author_id == user.id:
        raise DomainError((None, "You cannot mark your own post helpful."))
    if post.is_deleted or not permissions.can_view_post(user, post):
        raise NotAllowed("You cannot vote on this post.")
    return _toggle(Vote, on, post_id=post.id, user_id=user.id)


def _toggle(model, on: bool, **keys) -> bool:
    """Make the unique row with these keys exist (on) or not (off); returns `on`."""
    row = db.session.scalar(select(model).filter_by(**keys))
    if on and row is None:
        db.session.add(model(**keys))
    elif not on and row is not None:
        db.session.delete(row)
    try:
        db.session.commit()
    except IntegrityError:  # a double click raced us to the same row
        db.session.rollback()
    return on


def helpful_counts(thread_id: int) -> dict[int, int]:
    """Helpful votes per post of a thread."""
    rows = db.session.execute(
        select(Vote.post_id, func.count(Vote.id)).join(Post, Post.id == Vote.post_id)
        .where(Post.thread_id == thread_id).group_by(Vote.post_id))
    return {post_id: n for post_id, n in rows}


def voted_posts(user_id: int, thread_id: int) -> set[int]:
    """Ids of the thread's posts this member marked helpful."""
    return set(db.session.scalars(
        select(Vote.post_id).join(Post, Post.id == Vote.post_id)
        .where(Vote.user_id == user_id, Post.thread_id == thread_id)))


def set_bookmark(user: User, thread: Thread, on: bool) -> bool:
    """Save a thread for later, or forget it (idempotent); returns the new state."""
    if not permissions.can_view_thread(user, thread):
        raise NotAllowed("You cannot save this thread.")
    return _toggle(Bookmark, on, thread_id=thread.id, user_id=user.id)


def is_bookmarked(user_id: int, thread_id: int) -> bool:
    """True when the member saved the thread."""
    return db.session.scalar(select(Bookmark.id).where(
        Bookmark.thread_id == thread_id, Bookmark.user_id == user_id)) is not None


def _check_flag(user: User, post: Post, reason: str, text: str) -> None:
    if not permissions.can_post(user):
        raise NotAllowed("Your account cannot flag posts right now.")
    if post.author_id == user.id:
        raise DomainError((None, "You cannot flag your own post."))
    if post.is_deleted or not permissions.can_view_post(user, post):
        raise NotAllowed("You cannot flag this post.")
    if reason not in FLAG_REASONS:
        raise DomainError(("reason", "Choose a reason."))
    if reason == "other" and not text:
        raise DomainError(("text", "Say what is wrong with the post."))
    if db.session.scalar(select(Flag.id).where(
            Flag.post_id == post.id, Flag.flagger_id == user.id, Flag.resolved_at.is_(None))):
        raise DomainError((None, "You flagged this post already; a moderator will review it."))


def flag_post(user: User, post: Post, reason: str, text: str = "", threshold: int = 3) -> Flag:
    """Flag a post for review; at `threshold` members the post is hidden pending review."""
    text = (text or "").strip()[:1000]
    _check_flag(user, post, reason, text)
    flag = Flag(post_id=post.id, flagger_id=user.id, reason=reason, text=text)
    db.session.add(flag)
    db.session.flush()
    flaggers = db.session.scalar(select(func.count(func.distinct(Flag.flagger_id))).where(
        Flag.post_id == post.id, Flag.resolved_at.is_(None)))
    holder = hidden_holder(post)  # a flagged opening post hides its whole thread
    if flaggers >= max(1, threshold) and not holder.is_hidden:
        holder.is_hidden, holder.hidden_reason = True, AUTO_HIDE_REASON
        notify.tell_id(post.author_id, "post_auto_hidden", thread=post.thread, post=post)
        # The member whose flag crossed the threshold is recorded as the actor.
        audit.record(user, "post.auto_hide", "post", post.id, AUTO_HIDE_REASON,
                     f"{flaggers} members flagged it")
    db.session.commit()
    return flag
