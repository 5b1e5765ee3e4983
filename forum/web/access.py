"""One loader per kind of row that checks access, and the staff guards, for every blueprint."""
from flask import abort
from flask_login import current_user

from .. import permissions
from ..domain import NotAllowed
from ..extensions import db
from ..models import Post, Thread
from .paging import bounded_id


def thread_or_404(thread_id: int) -> Thread:
    """The thread, or 404 when it does not exist or this user may not see it."""
    thread = db.session.get(Thread, bounded_id(thread_id))
    if thread is None or not permissions.can_view_thread(current_user, thread):
        # Security: a restricted thread answers exactly like a missing one.
        abort(404)
    return thread


def post_or_404(post_id: int, readable: bool = True) -> Post:
    """The post, or 404 when this user may not see its thread or (``readable``) its body.

    ``readable=False`` is for actions whose own rule decides next (edit, delete, restore:
    a member sees a deleted post's place in the thread and is told 403, not 404).
    """
    post = db.session.get(Post, bounded_id(post_id))
    if post is None:
        abort(404)
    thread_or_404(post.thread_id)
    if readable and not permissions.can_view_post(current_user, post):
        # Security: a hidden post answers like a missing one for non-moderators.
        abort(404)
    return post


def moderators_only() -> None:
    """403 unless the current user is an active moderator (login_required runs first)."""
    _staff(permissions.require_moderator)


def admins_only() -> None:
    """403 unless the current user is an active admin."""
    _staff(permissions.require_admin)


def _staff(require) -> None:
    try:
        require(current_user)
    except NotAllowed:
        abort(403)
