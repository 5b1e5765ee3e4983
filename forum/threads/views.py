"""Thread views: thin — validate, call a service, flash, redirect."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import events, permissions, searching
from ..domain import DomainError, NotAllowed
from ..extensions import db
from ..models import Category, Thread
from ..suggestions import log as suggestion_log
from ..threads.importer import slugify
from ..web.access import post_or_404, thread_or_404
from ..web.cache import guest_page
from ..web.forms import populate_errors, submit
from ..web.limits import budget, shared_budget
from ..web.paging import page_number
from . import bp, queries, services
from .forms import ConfirmForm, EditPostForm, ReplyForm, ThreadForm


def thread_url(thread: Thread, **kwargs) -> str:
    """The canonical URL of a thread, with its slug."""
    return url_for("threads.show", thread_id=thread.id, slug=slugify(thread.title)[:80], **kwargs)


@bp.app_template_global()
def url_for_thread(thread: Thread, **kwargs) -> str:
    """Template helper for thread_url."""
    return thread_url(thread, **kwargs)


def _listing(template: str, category=None):
    filters = queries.ThreadFilters.from_args(request.args, category)
    pagination = queries.list_threads(
        current_user, filters, page_number(), current_app.config["THREADS_PER_PAGE"])
    return render_template(template, pagination=pagination, filters=filters,
                           category=category, countries=queries.countries(current_user))


@bp.route("/")
@guest_page
def index():
    """Latest threads, filtered and paginated."""
    return _listing("threads/index.html")


@bp.route("/c/<slug>")
@guest_page
def category(slug):
    """One category's threads."""
    cat = db.first_or_404(select(Category).where(Category.slug == slug))
    if not permissions.can_view_category(current_user, cat):
        abort(404)  # Security: a restricted category answers exactly like a missing one
    return _listing("threads/category.html", cat)


@bp.route("/threads/<int:thread_id>")
@bp.route("/threads/<int:thread_id>/<slug>")
# A budget for anonymous readers (crawlers); members are not limited on reading.
@budget("thread_page", methods=("GET",), exempt_when=lambda: current_user.is_authenticated)
@guest_page
def show(thread_id, slug=None):
    """A thread with its posts, paginated."""
    thread = thread_or_404(thread_id)
    if current_user.is_authenticated:
        events.thread_viewed.send(thread, user=current_user)  # its notifications are read
    posts = queries.thread_posts(current_user, thread, page_number(),
                                 current_app.config["POSTS_PER_PAGE"])
    # Guests get no forms: a form puts a CSRF token in the session, which would keep the
    # page out of the guest page cache (and guests see no reply box or post buttons).
    member = current_user.is_authenticated
    return render_template("threads/show.html", thread=thread, posts=posts,
                           reply_form=_reply_form(thread) if member else None,
                           confirm_form=ConfirmForm() if member else None)


@bp.app_template_global()
def reply_target_post(thread: Thread, post_id):
    """The post the reply box answers, when the current user may read it."""
    return services.reply_target(current_user, thread, post_id)


def _reply_form(thread: Thread) -> ReplyForm:
    """The reply box; ?reply_to=ID answers that post and &quote=1 quotes it (no JS needed)."""
    form = ReplyForm()
    target = services.reply_target(current_user, thread, request.args.get("reply_to"))
    if target is not None:
        form.reply_to.data = str(target.id)
        if request.args.get("quote") == "1":
            form.body.data = services.quote(target)
    return form


def _category_choices():
    cats = db.session.scalars(select(Category).where(permissions.category_clause(current_user))
                              .order_by(Category.position, Category.name))
    return [SelectChoice(c.id, c.name) for c in cats]


def _checking() -> bool:
    """True when the composer's "check for similar threads" button sent the form."""
    return "check" in request.form


@bp.route("/threads/new", methods=["GET", "POST"])
@budget("thread", exempt_when=_checking)
@budget("check", exempt_when=lambda: not _checking())
@login_required
def new():
    """Compose a thread; 'Check for similar threads' shows suggestions before posting."""
    form = ThreadForm()
    form.category.choices = [SelectChoice(0, "Choose a category…")] + _category_choices()
    if request.method == "GET" and request.args.get("category"):
        cat = db.session.scalar(select(Category).where(Category.slug == request.args["category"]))
        # Security: a category this member may not read is preselected like a missing one.
        form.category.data = cat.id if cat and permissions.can_view_category(
            current_user, cat) else 0
    if not suggestion_log.valid_session(form.suggestion_session.data):
        form.suggestion_session.data = suggestion_log.new_session()
    if not permissions.can_post(current_user):
        flash("Your account is suspended and cannot post right now.", "error")
    elif form.validate_on_submit() and not form.check.data:
        try:
            thread = services.create_thread(
                current_user, db.get_or_404(Category, form.category.data), form.title.data,
                form.body.data, kind=form.kind.data, country=form.country.data,
                tags=form.tags.data or "", suggestion_session=form.suggestion_session.data)
        except DomainError as exc:
            populate_errors(form, exc)
        else:
            flash("Your thread is posted.", "success")
            return redirect(thread_url(thread, new=1))
    return render_template("threads/new.html", form=form,
                           similar=_similar_for_form(form) if form.check.data else None)


def _similar_for_form(form):
    """Suggestions for the no-JavaScript 'check' step (a search failure shows none)."""
    try:
        hits = searching.similar_threads(current_user, form.title.data or "",
                                         form.body.data or "", limit=5)
        suggestion_log.record_shown(current_user, form.suggestion_session.data,
                                    form.title.data or "", form.body.data or "",
                                    [h.thread.id for h in hits])
        return hits
    except Exception:  # noqa: BLE001 - a 500 here would lose the poster's draft
        current_app.logger.exception("Similar-thread check failed")
        return []


@bp.route("/threads/<int:thread_id>/reply", methods=["POST"])
@shared_budget("reply", methods=("POST",))  # with the API's replies: one budget
@login_required
def reply(thread_id):
    """Post a reply; on error, the thread page comes back with the text intact."""
    thread = thread_or_404(thread_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            post = services.reply(current_user, thread, form.body.data, form.reply_to.data)
        except NotAllowed:
            abort(403)
        except DomainError as exc:
            populate_errors(form, exc)
        else:
            flash("Your reply is posted.", "success")
            last = -(-(thread.reply_count + 1) // current_app.config["POSTS_PER_PAGE"])
            return redirect(thread_url(thread, page=last) + f"#post-{post.id}")
    posts = queries.thread_posts(current_user, thread, page_number(),
                                 current_app.config["POSTS_PER_PAGE"])
    return render_template("threads/show.html", thread=thread, posts=posts,
                           reply_form=form, confirm_form=ConfirmForm()), 400


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id):
    """Edit a post; the previous version is kept in its history."""
    post = post_or_404(post_id, readable=False)
    if not permissions.can_edit_post(current_user, post):
        abort(403)
    form = EditPostForm(obj=post)
    if request.method == "GET" and post.is_opening:
        form.title.data, form.tags.data = post.thread.title, ", ".join(post.thread.tag_names)
    done = submit(form, lambda: services.edit_post(
        current_user, post, form.body.data,
        title=form.title.data if post.is_opening else None,
        tags=form.tags.data if post.is_opening else None),
        "Your changes are saved.", thread_url(post.thread) + f"#post-{post.id}")
    return done or render_template("threads/edit.html", form=form, post=post)


@bp.route("/posts/<int:post_id>/history")
def history(post_id):
    """Every earlier version of a post."""
    post = post_or_404(post_id, readable=False)
    if not permissions.can_view_post(current_user, post):
        abort(404)
    return render_template("threads/history.html", post=post)


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
@login_required
def delete(post_id):
    """Soft-delete a post (the author's own, or any for moderators)."""
    post = post_or_404(post_id, readable=False)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.delete_post(current_user, post)
    except NotAllowed:
        abort(403)
    flash("The post is deleted. A moderator can restore it.", "success")
    if post.is_opening and not current_user.is_moderator:
        return redirect(url_for("threads.index"))
    return redirect(thread_url(post.thread))


@bp.route("/posts/<int:post_id>/restore", methods=["POST"])
@login_required
def restore(post_id):
    """Moderators restore a soft-deleted post."""
    post = post_or_404(post_id, readable=False)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.restore_post(current_user, post)
    except NotAllowed:
        abort(403)
    flash("The post is restored.", "success")
    return redirect(thread_url(post.thread) + f"#post-{post.id}")
