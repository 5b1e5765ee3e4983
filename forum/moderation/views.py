"""Moderation views: the flag review queue, post tools and the audit log."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..domain import DomainError, NotAllowed
from ..extensions import db
from ..models import AuditLog, Post, User
from ..threads.views import thread_url
from ..web.access import moderators_only, post_or_404
from ..web.forms import submit
from ..web.paging import page_number
from . import bp, flags, services
from .forms import HideForm, ReasonForm, ResolveForm


def _post_url(post: Post) -> str:
    return thread_url(post.thread) + f"#post-{post.id}"


@bp.route("/moderation")
@login_required
def queue():
    """Flagged posts waiting for a moderator, the longest-waiting first."""
    moderators_only()
    groups = flags.open_flag_groups()
    forms = {g.post.id: ResolveForm(prefix=f"p{g.post.id}", formdata=None) for g in groups}
    return render_template("moderation/queue.html", groups=groups, forms=forms)


@bp.route("/moderation/flags/<int:post_id>", methods=["POST"])
@login_required
def resolve(post_id):
    """Hide the flagged post or dismiss its flags; each flagger is told the outcome."""
    moderators_only()
    post = post_or_404(post_id)
    form = ResolveForm(prefix=f"p{post.id}")
    if not form.validate_on_submit():
        abort(400)
    outcome = "actioned" if form.hide.data else "dismissed"
    try:
        n = flags.resolve_flags(current_user, post, outcome, form.note.data)
    except NotAllowed:
        abort(403)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(f"{n} flag{'s' if n != 1 else ''} {'acted on: the post is hidden' if outcome == 'actioned' else 'dismissed'}.", "success")
    return redirect(url_for(".queue"))


@bp.route("/moderation/posts/<int:post_id>")
@login_required
def post(post_id):
    """Moderator tools for one post: hide or unhide, with its flags."""
    moderators_only()
    p = post_or_404(post_id)
    return _render_post(p, HideForm(formdata=None))


def _render_post(p: Post, hide_form, status: int = 200):
    return render_template("moderation/post.html", post=p, hide_form=hide_form,
                           unhide_form=ReasonForm(formdata=None), flags=flags.open_flags_for(p),
                           resolve_form=ResolveForm(prefix=f"p{p.id}", formdata=None)), status


@bp.route("/moderation/posts/<int:post_id>/hide", methods=["POST"])
@login_required
def hide_post(post_id):
    """Hide a post; its author is told the reason."""
    moderators_only()
    p = post_or_404(post_id)
    form = HideForm()
    done = submit(form, lambda: services.hide_post(current_user, p, form.reason.data),
                  "The post is hidden; its author is told why.", _post_url(p))
    if done:
        return done
    if "csrf_token" in form.errors:
        abort(400)
    return _render_post(p, form, 400)


@bp.route("/moderation/posts/<int:post_id>/unhide", methods=["POST"])
@login_required
def unhide_post(post_id):
    """Show a hidden post again."""
    moderators_only()
    p = post_or_404(post_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    services.unhide_post(current_user, p, form.reason.data)
    flash("The post is visible again.", "success")
    return redirect(_post_url(p))


@bp.route("/moderation/log")
@login_required
def log():
    """The audit log: who did what, when and why; filter by action and actor."""
    moderators_only()
    action = request.args.get("action", "").strip()[:50]
    actor = request.args.get("actor", "").strip().lower()[:64]
    stmt = select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if actor:
        stmt = stmt.join(AuditLog.actor).where(User.username == actor)
    page = page_number()
    pagination = db.paginate(stmt, page=page, per_page=50, error_out=False)
    actions = db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action))
    return render_template("moderation/log.html", pagination=pagination, actions=list(actions),
                           action=action, actor=actor)


@bp.app_template_global()
def audit_target_url(entry: AuditLog) -> str:
    """A link to what an audit row is about, or '' when it has none."""
    if entry.target_type == "thread":
        return url_for("threads.show", thread_id=entry.target_id)
    if entry.target_type == "post":
        p = db.session.get(Post, entry.target_id)
        return url_for("threads.show", thread_id=p.thread_id) + f"#post-{p.id}" if p else ""
    if entry.target_type == "user":
        return url_for("admin.user", user_id=entry.target_id)
    if entry.target_type in ("group", "category"):
        return url_for(f"admin.{entry.target_type}", **{f"{entry.target_type}_id": entry.target_id})
    return ""


@bp.app_template_global()
def open_flag_count() -> int:
    """Open flags, for the moderators' header link."""
    return flags.open_flag_count()
