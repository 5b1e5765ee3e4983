"""View helpers shared by the answers, featured, moderation and admin blueprints."""
from typing import Callable

from flask import abort, flash, redirect
from flask_login import current_user

from . import permissions
from .domain import DomainError, NotAllowed
from .extensions import db
from .models import Post
from .threads.forms import ConfirmForm
from .threads.views import get_thread_or_404


def require_moderator() -> None:
    """403 unless the current user moderates (login_required runs first)."""
    if not permissions.is_moderator(current_user) or current_user.is_suspended:
        abort(403)


def require_admin() -> None:
    """403 unless the current user is an admin."""
    if not current_user.is_authenticated or not current_user.is_admin or current_user.is_suspended:
        abort(403)


def post_or_404(post_id: int) -> Post:
    """The post, or 404 when this user may not see it or its thread."""
    post = db.get_or_404(Post, post_id)
    get_thread_or_404(post.thread_id)
    if not permissions.can_view_post(current_user, post):
        # Security: a hidden post answers like a missing one for non-moderators.
        abort(404)
    return post


def run_action(action: Callable[[], object], success: str, back: str, form=None):
    """Run a service call behind a form: 400 without a valid token, 403 when not allowed."""
    form = form if form is not None else ConfirmForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
        if "csrf_token" in form.errors:
            abort(400)
        return redirect(back)
    try:
        action()
    except NotAllowed:
        abort(403)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(success, "success")
    return redirect(back)
