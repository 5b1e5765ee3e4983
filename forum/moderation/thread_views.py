"""Moderator tools on a thread: pin, close, hide, move, tags, duplicate."""
from datetime import datetime, time

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from ..domain import DomainError
from ..extensions import db
from ..models import AuditLog, Category, Thread
from ..threads.views import thread_url
from ..web.access import moderators_only, thread_or_404
from ..web.forms import submit
from . import bp, duplicates, services
from .forms import DuplicateForm, HideForm, MoveForm, PinForm, ReasonForm, TagsForm

FORMS = {"pin": PinForm, "unpin": ReasonForm, "close": ReasonForm, "reopen": ReasonForm,
         "hide": HideForm, "unhide": ReasonForm, "move": MoveForm, "tags": TagsForm,
         "duplicate": DuplicateForm}


def _build(name: str, thread: Thread, bound: bool):
    form = FORMS[name](prefix=name, **({} if bound else {"formdata": None}))
    if name == "move":
        cats = db.session.scalars(select(Category).order_by(Category.position, Category.name))
        form.category.choices = [SelectChoice(c.id, c.name if c.visibility == "public"
                                              else f"{c.name} ({c.visibility_label})")
                                 for c in cats]
        if not bound:
            form.category.data = thread.category_id
    elif name == "tags" and not bound:
        form.tags.data = ", ".join(thread.tag_names)
    elif name == "duplicate" and not bound:
        form.original.data = request.args.get("original", "")
    return form


@bp.app_template_global()
def moderation_forms(thread: Thread, active: str = "") -> dict:
    """The moderator's forms for a thread, keyed by action; `active` binds the posted data."""
    return {name: _build(name, thread, name == active) for name in FORMS}


def _render_tools(thread: Thread, forms: dict, status: int = 200):
    history = db.session.scalars(select(AuditLog).where(
        AuditLog.target_type == "thread", AuditLog.target_id == thread.id)
        .order_by(AuditLog.id.desc()).limit(20)).all()
    return render_template("moderation/thread.html", thread=thread, forms=forms,
                           proposals=duplicates.propose_originals(current_user, thread),
                           history=history), status


@bp.route("/moderation/threads/<int:thread_id>")
@login_required
def thread_tools(thread_id):
    """Every moderator tool for one thread, with its moderation history."""
    moderators_only()
    t = thread_or_404(thread_id)
    return _render_tools(t, moderation_forms(t))


def _act(thread_id: int, name: str, call, success: str):
    """Validate the named form, call the service, re-render the tools with errors."""
    moderators_only()
    t = thread_or_404(thread_id)
    forms = moderation_forms(t, active=name)
    form = forms[name]
    done = submit(form, lambda: call(t, form), success, lambda: thread_url(t))
    if done:
        return done
    if "csrf_token" in form.errors:
        abort(400)
    return _render_tools(t, forms, 400)


def _end_of_day(day) -> datetime | None:
    return datetime.combine(day, time(23, 59, 59)) if day else None


def _original(form) -> Thread:
    """The original thread a moderator typed in, any moderator can see."""
    original = db.session.get(Thread, duplicates.parse_thread_ref(form.original.data))
    if original is None:
        raise DomainError(("original", "There is no thread with that number."))
    return original


def _route(name: str):
    return bp.route(f"/moderation/threads/<int:thread_id>/{name}", methods=["POST"],
                    endpoint=f"thread_{name}")


@_route("pin")
@login_required
def pin(thread_id):
    """Pin a thread in its category or site-wide, optionally until a date."""
    return _act(thread_id, "pin", lambda t, f: services.pin_thread(
        current_user, t, f.scope.data, _end_of_day(f.until.data), f.reason.data),
        "The thread is pinned.")


@_route("unpin")
@login_required
def unpin(thread_id):
    """Unpin a thread."""
    return _act(thread_id, "unpin", lambda t, f: services.unpin_thread(
        current_user, t, f.reason.data), "The thread is unpinned.")


@_route("close")
@login_required
def close(thread_id):
    """Close a thread to new replies."""
    return _act(thread_id, "close", lambda t, f: services.close_thread(
        current_user, t, f.reason.data), "The thread is closed to new replies.")


@_route("reopen")
@login_required
def reopen(thread_id):
    """Reopen a closed thread."""
    return _act(thread_id, "reopen", lambda t, f: services.reopen_thread(
        current_user, t, f.reason.data), "The thread is open again.")


@_route("hide")
@login_required
def hide(thread_id):
    """Hide a thread, telling its author why."""
    return _act(thread_id, "hide", lambda t, f: services.hide_thread(
        current_user, t, f.reason.data), "The thread is hidden; its author is told why.")


@_route("unhide")
@login_required
def unhide(thread_id):
    """Show a hidden thread again."""
    return _act(thread_id, "unhide", lambda t, f: services.unhide_thread(
        current_user, t, f.reason.data), "The thread is visible again.")


@_route("move")
@login_required
def move(thread_id):
    """Move a thread to another category; visibility follows at once."""
    return _act(thread_id, "move", lambda t, f: services.move_thread(
        current_user, t, db.get_or_404(Category, f.category.data), f.reason.data),
        "The thread is moved.")


@_route("tags")
@login_required
def tags(thread_id):
    """Replace a thread's tags."""
    return _act(thread_id, "tags", lambda t, f: services.set_tags(
        current_user, t, f.tags.data or "", f.reason.data), "The tags are saved.")


@_route("duplicate")
@login_required
def duplicate(thread_id):
    """Close a thread as a duplicate of an original, optionally moving its replies."""
    return _act(thread_id, "duplicate", lambda t, f: duplicates.mark_duplicate(
        current_user, t, _original(f), f.move_replies.data, f.reason.data),
        "The thread is closed as a duplicate.")
