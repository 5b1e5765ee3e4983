"""Mark a thread as a duplicate of another: close it, link it, optionally move its replies."""
import logging
import re

from sqlalchemy import func, select

from .. import audit, searching
from ..domain import DomainError
from ..extensions import db
from ..models import Post, Thread, User
from ..models._base import row_id
from ..notifications import services as notify
from ..permissions import require_moderator
from ..suggestions import log as suggestion_log

log = logging.getLogger(__name__)
# "123", "#123", "/threads/123/slug", "https://host/threads/123/slug#post-9"
_THREAD_REF = re.compile(r"^(?:.*?/threads/)?#?(\d+)(?:[/?#].*)?$")


def parse_thread_ref(text: str) -> int:
    """A thread id from an id or a thread URL typed by a moderator."""
    match = _THREAD_REF.match((text or "").strip())
    if not match:
        raise DomainError(("original", "Give the original thread's number or its address."))
    number = row_id(match.group(1))  # beyond any key: no such thread, not a database error
    if number is None:
        raise DomainError(("original", "There is no thread with that number."))
    return number


def propose_originals(user: User, thread: Thread, limit: int = 5) -> list[Thread]:
    """Threads the engine finds closest to this one (none until the engine is there)."""
    opening = thread.opening_post
    try:
        hits = searching.similar_threads(user, thread.title, opening.body if opening else "",
                                         limit=limit, exclude_ids=(thread.id,))
    except Exception:  # noqa: BLE001 - a search failure must not block moderation
        log.exception("Proposing originals for thread %s failed", thread.id)
        return []
    return [hit.thread for hit in hits]


def _check_original(thread: Thread, original: Thread) -> None:
    if original.id == thread.id:
        raise DomainError(("original", "A thread cannot duplicate itself."))
    if original.is_deleted or original.is_hidden:
        raise DomainError(("original", "The original is deleted or hidden."))
    if original.duplicate_of_id is not None:
        raise DomainError(("original", "That thread is itself a duplicate; link its original "
                                       f"(thread {original.duplicate_of_id}) instead."))


def _move_replies(thread: Thread, original: Thread) -> int:
    """Move every reply of the duplicate into the original, keeping their dates."""
    replies = [p for p in thread.posts if not p.is_opening]
    for post in replies:
        post.thread_id = original.id
    if thread.accepted_post_id in {p.id for p in replies}:
        thread.accepted_post_id = None
    db.session.flush()
    db.session.expire(original, ["posts"])
    db.session.expire(thread, ["posts"])
    for t in (thread, original):
        t.reply_count = db.session.scalar(select(func.count(Post.id)).where(
            Post.thread_id == t.id, Post.is_opening.is_(False), Post.deleted_at.is_(None)))
    newest = db.session.scalar(select(func.max(Post.created_at)).where(Post.thread_id == original.id))
    original.last_activity_at = max(original.last_activity_at, newest or original.created_at)
    return len(replies)


def mark_duplicate(moderator: User, thread: Thread, original: Thread,
                   move_replies: bool = False, reason: str = "") -> int:
    """Close the thread as a duplicate of the original; returns how many replies moved."""
    require_moderator(moderator)
    _check_original(thread, original)
    moved = _move_replies(thread, original) if move_replies else 0
    thread.duplicate_of_id = original.id
    thread.status = "closed"
    suggestion_log.record_duplicate(thread, original)
    # Rendered when read: the original's title shows only to a reader who may see it.
    notify.on_thread_changed(thread, "duplicate", moderator)
    audit.record(moderator, "thread.duplicate", "thread", thread.id, reason,
                 f"duplicate of thread {original.id}; {moved} replies moved")
    db.session.commit()
    return moved
