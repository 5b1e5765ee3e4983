"""The audit log and member notifications, added in the same transaction as the action."""
from typing import Optional

from .extensions import db
from .models import AuditLog, Notification, Post, Thread, User


def record(actor: User, action: str, target_type: str, target_id: int, reason: str = "",
           details: str = "") -> AuditLog:
    """Add an audit row (who, what, when, why); the caller's commit writes it."""
    entry = AuditLog(actor_id=actor.id, action=action, target_type=target_type,
                     target_id=target_id, reason=(reason or "").strip()[:1000],
                     details=details or "")
    db.session.add(entry)
    return entry


def notify(user_id: int, text: str, url: str = "") -> Notification:
    """Add a notification for a member; the caller's commit writes it."""
    note = Notification(user_id=user_id, text=text[:1000], url=url[:300])
    db.session.add(note)
    return note


def thread_path(thread: Thread, post: Optional[Post] = None) -> str:
    """A site-relative link to a thread (or one post in it) that needs no request context.

    Services run from the CLI too (demo loading), where url_for cannot build URLs,
    and /threads/<id> is a stable route of the threads blueprint.
    """
    path = f"/threads/{thread.id}"
    return path + (f"#post-{post.id}" if post is not None else "")
