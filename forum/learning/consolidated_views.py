"""Consolidated replies: draft by extraction, edit, publish, history."""
from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..threads.forms import ConfirmForm
from ..threads.views import thread_url
from ..web.access import thread_or_404
from ..web.forms import submit
from . import bp, consolidated
from .forms import ConsolidatedForm


def _manageable(thread_id: int):
    thread = thread_or_404(thread_id)
    if not consolidated.can_consolidate(current_user, thread):
        abort(403)
    return thread


def _editor_url(thread) -> str:
    return url_for("learning.consolidated_edit", thread_id=thread.id)


@bp.route("/threads/<int:thread_id>/consolidated", methods=["GET", "POST"])
@login_required
def consolidated_edit(thread_id):
    """Start, edit and publish the question's consolidated reply."""
    thread = _manageable(thread_id)
    reply = thread.consolidated
    if reply is None:
        return render_template("learning/consolidated_start.html", thread=thread)
    form = ConsolidatedForm(obj=reply)
    publish = bool(form.publish.data)
    done = submit(form, lambda: consolidated.save(current_user, reply, form.body.data,
                                                  publish=publish, note=form.note.data),
                  "The consolidated reply is published." if publish else "The draft is saved.",
                  lambda: thread_url(thread) + "#consolidated" if publish else _editor_url(thread))
    return done or render_template("learning/consolidated_form.html", form=form, thread=thread,
                                   reply=reply)


@bp.route("/threads/<int:thread_id>/consolidated/draft", methods=["POST"])
@login_required
def consolidated_draft(thread_id):
    """Draft the consolidated reply from the replies and the most similar threads."""
    thread = _manageable(thread_id)
    return submit(
        ConfirmForm(),
        lambda: consolidated.start_draft(current_user, thread),
        "A draft is ready: check every quote, edit, then publish.",
        _editor_url(thread),
        buttons=True,
    )


@bp.route("/threads/<int:thread_id>/consolidated/redraft", methods=["POST"])
@login_required
def consolidated_redraft(thread_id):
    """Draft again from the current replies (the earlier text stays in the history)."""
    thread = _manageable(thread_id)
    if thread.consolidated is None:
        return redirect(_editor_url(thread))
    return submit(
        ConfirmForm(),
        lambda: consolidated.redraft(current_user, thread.consolidated),
        "A fresh draft replaced the working text; earlier versions are in the history.",
        _editor_url(thread),
        buttons=True,
    )


@bp.route("/threads/<int:thread_id>/consolidated/unpublish", methods=["POST"])
@login_required
def consolidated_unpublish(thread_id):
    """Take the consolidated reply off the thread page."""
    thread = _manageable(thread_id)
    if thread.consolidated is None:
        abort(404)
    return submit(
        ConfirmForm(),
        lambda: consolidated.unpublish(current_user, thread.consolidated),
        "The consolidated reply is no longer shown on the thread.",
        _editor_url(thread),
        buttons=True,
    )


@bp.route("/threads/<int:thread_id>/consolidated/history")
def consolidated_history(thread_id):
    """The versions of a consolidated reply: published ones for readers, all for its editors."""
    thread = thread_or_404(thread_id)
    reply = thread.consolidated
    editor = current_user.is_authenticated and consolidated.can_consolidate(current_user, thread)
    versions = (
        (reply.revisions if editor else consolidated.published_versions(reply))
        if reply is not None
        else []
    )
    if not versions:
        abort(404)  # an unpublished draft is private to its editors
    return render_template(
        "learning/consolidated_history.html",
        thread=thread,
        reply=reply,
        versions=versions,
        editor=editor,
    )
