"""Featured practices: the library, and moderators curating summaries."""
from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..models import FeaturedPractice
from ..threads.feeds import FEED_SIZE, PUBLIC, atom_response
from ..threads.views import thread_url
from ..web.access import moderators_only, thread_or_404
from ..web.forms import submit
from ..web.paging import page_number
from . import bp, queries, services
from .forms import SummaryForm, UnfeatureForm


def _practice_or_404(practice_id: int) -> FeaturedPractice:
    practice = db.get_or_404(FeaturedPractice, practice_id)
    thread_or_404(practice.thread_id)
    return practice


def _post_url(post) -> str:
    return thread_url(post.thread) + f"#post-{post.id}"


@bp.app_template_filter("teaser")
def _teaser(summary: str, length: int = 280) -> str:
    return services.teaser(summary, length)


@bp.route("/featured")
def index():
    """The library of featured practices, filterable, newest first."""
    filters = queries.LibraryFilters.from_args(request.args)
    page = page_number()
    pagination = queries.library(current_user, filters, page,
                                 current_app.config["THREADS_PER_PAGE"])
    return render_template("featured/index.html", pagination=pagination, filters=filters,
                           facets=queries.facets(current_user))


@bp.route("/featured/feed.atom")
def feed():
    """The newest featured practices in public categories (public content only)."""
    practices = queries.library(PUBLIC, queries.LibraryFilters(), 1, FEED_SIZE).items
    return atom_response("featured/feed.xml", title="Headstart: featured practices",
                         practices=practices, alternate=url_for("featured.index"))


@bp.route("/threads/<int:thread_id>/feature", methods=["GET", "POST"])
@login_required
def feature(thread_id):
    """A moderator features a thread with a curated summary."""
    moderators_only()
    thread = thread_or_404(thread_id)
    if services.practice_of(thread) is not None:
        return redirect(thread_url(thread))
    form = SummaryForm()
    if request.method == "GET":
        # A published consolidated reply is the natural first version of the summary.
        reply = thread.consolidated
        published = reply.published_version if reply is not None else None
        form.summary.data = (published.body if published is not None
                             else services.summary_template(thread, _post_url))
    done = submit(form, lambda: services.feature_thread(
        current_user, thread, form.summary.data, form.reason.data),
        "The thread is featured in the practice library.", lambda: thread_url(thread))
    return done or render_template("featured/form.html", form=form, thread=thread,
                                   contributors=services.contributors(thread))


@bp.route("/featured/<int:practice_id>/edit", methods=["GET", "POST"])
@login_required
def edit(practice_id):
    """A moderator revises a summary; each version is kept."""
    moderators_only()
    practice = _practice_or_404(practice_id)
    form = SummaryForm(obj=practice)
    done = submit(form, lambda: services.edit_summary(
        current_user, practice, form.summary.data, form.reason.data),
        "The summary is updated.", lambda: thread_url(practice.thread))
    return done or render_template("featured/form.html", form=form, thread=practice.thread,
                                   practice=practice,
                                   contributors=services.contributors(practice.thread))


@bp.route("/featured/<int:practice_id>/history")
def history(practice_id):
    """Every version of a summary: who wrote it, when."""
    practice = _practice_or_404(practice_id)
    return render_template("featured/history.html", practice=practice)


@bp.route("/featured/<int:practice_id>/unfeature", methods=["POST"])
@login_required
def unfeature(practice_id):
    """A moderator takes a thread out of the library."""
    moderators_only()
    practice = _practice_or_404(practice_id)
    thread, form = practice.thread, UnfeatureForm()
    return submit(
        form,
        lambda: services.unfeature(current_user, practice, form.reason.data),
        "The thread is no longer featured.",
        thread_url(thread),
        buttons=True,
    )
