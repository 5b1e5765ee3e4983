"""Answers views: accept, helpful votes, saved threads and flags."""
from flask import abort, current_app, g, render_template
from flask_login import current_user, login_required

from ..threads.forms import ConfirmForm
from ..threads.views import thread_url
from ..web.access import post_or_404, thread_or_404
from ..web.forms import submit
from ..web.limits import budget
from . import bp, services
from .forms import FlagForm, ToggleForm


def _post_url(post) -> str:
    return thread_url(post.thread) + f"#post-{post.id}"


@bp.app_template_global()
def helpful_state(post) -> tuple[int, bool]:
    """(helpful votes, voted by the current user) for a post; one query per thread and request."""
    cache = g.setdefault("_helpful", {})
    if post.thread_id not in cache:
        mine = (services.voted_posts(current_user.id, post.thread_id)
                if current_user.is_authenticated else set())
        cache[post.thread_id] = (services.helpful_counts(post.thread_id), mine)
    counts, mine = cache[post.thread_id]
    return counts.get(post.id, 0), post.id in mine


@bp.app_template_global()
def is_saved(thread) -> bool:
    """True when the current user saved the thread."""
    return current_user.is_authenticated and services.is_bookmarked(current_user.id, thread.id)


@bp.app_context_processor
def _answer_rules():
    return {"can_accept": services.can_accept, "can_vote": services.can_vote,
            "can_flag": services.can_flag}


@bp.route("/posts/<int:post_id>/accept", methods=["POST"])
@login_required
def accept(post_id):
    """The asker or a moderator marks a reply as the accepted answer."""
    post = post_or_404(post_id)
    return submit(
        ConfirmForm(),
        lambda: services.accept_answer(current_user, post),
        "Marked as the accepted answer; the thread is solved.",
        _post_url(post),
        buttons=True,
    )


@bp.route("/threads/<int:thread_id>/unaccept", methods=["POST"])
@login_required
def unaccept(thread_id):
    """The asker or a moderator withdraws the accepted answer."""
    thread = thread_or_404(thread_id)
    return submit(
        ConfirmForm(),
        lambda: services.unaccept_answer(current_user, thread),
        "The accepted answer is withdrawn; the thread is open again.",
        thread_url(thread),
        buttons=True,
    )


@bp.route("/posts/<int:post_id>/helpful", methods=["POST"])
@budget("vote")
@login_required
def helpful(post_id):
    """Mark a post helpful, or take the mark back."""
    post = post_or_404(post_id)
    form = ToggleForm()
    on = form.on.data == "1"
    return submit(
        form,
        lambda: services.set_helpful(current_user, post, on),
        "Marked helpful." if on else "Helpful mark withdrawn.",
        _post_url(post),
        buttons=True,
    )


@bp.route("/threads/<int:thread_id>/save", methods=["POST"])
@budget("bookmark")
@login_required
def save(thread_id):
    """Save a thread to your list, or remove it."""
    thread = thread_or_404(thread_id)
    form = ToggleForm()
    on = form.on.data == "1"
    return submit(
        form,
        lambda: services.set_bookmark(current_user, thread, on),
        "Saved to your list." if on else "Removed from your saved threads.",
        thread_url(thread),
        buttons=True,
    )


@bp.route("/posts/<int:post_id>/flag", methods=["GET", "POST"])
@budget("flag")
@login_required
def flag(post_id):
    """Flag a post for the moderators, with a reason."""
    post = post_or_404(post_id)
    if not services.can_flag(current_user, post):
        abort(403)
    form = FlagForm()
    done = submit(
        form,
        lambda: services.flag_post(
            current_user,
            post,
            form.reason.data,
            form.text.data,
            current_app.config["FLAG_HIDE_THRESHOLD"],
        ),
        "Thank you. A moderator will review the post and tell you the outcome.",
        _post_url(post),
    )
    return done or render_template("answers/flag.html", form=form, post=post)
