"""Notification views: inbox, settings, watching, @mention lookup, unsubscribe (thin)."""
from flask import current_app, jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from .. import permissions
from ..auth.redirects import safe_next
from ..domain import DomainError
from ..extensions import csrf, db, limiter
from ..models import Thread
from ..models._base import row_id
from ..threads.forms import ConfirmForm
from ..web.forms import submit
from ..web.paging import page_number
from . import bp, inbox, mentions, render, settings, watches
from .forms import AddWatchForm, SettingsForm, WatchForm
from .kinds import SETTINGS


@bp.app_template_global()
def unread_notifications() -> int:
    """Unread notifications the current user may see (0 for guests)."""
    return inbox.unread_count(current_user) if current_user.is_authenticated else 0


@bp.app_template_global()
def watching_thread(thread) -> bool:
    """True when the current user gets this thread's replies."""
    return current_user.is_authenticated and watches.is_watching_thread(current_user, thread)


@bp.app_template_global()
def watching(kind: str, value) -> bool:
    """True when the current user watches this category id, tag or country."""
    return current_user.is_authenticated and watches.is_watching(current_user, kind, str(value))


@bp.route("/notifications")
@login_required
def index():
    """Your notifications, newest first, replies in one thread grouped."""
    page = page_number()
    pagination = inbox.page_of(current_user, page, current_app.config["THREADS_PER_PAGE"])
    return render_template("notifications/index.html", pagination=pagination,
                           items=render.grouped(current_user, pagination.items),
                           unread=inbox.unread_count(current_user))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_all():
    """Mark all your notifications as read."""
    return submit(
        ConfirmForm(),
        lambda: inbox.mark_all_read(current_user),
        "All notifications are marked as read.",
        url_for(".index"),
        buttons=True,
    )


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings_page():
    """Choose what reaches you in the forum and by e-mail, and the digest."""
    # The address typed last is shown while it waits for its confirmation link (issue 12).
    form = SettingsForm(email=current_user.pending_email or current_user.email,
                        digest=settings.digest_frequency(current_user))
    if request.method == "GET":
        form.fill(settings.preferences(current_user))
    done = submit(
        form,
        lambda: settings.save(current_user, form.choices(), form.digest.data, form.email.data),
        "Your notification settings are saved.",
        url_for(".settings_page"),
    )
    return done or render_template("notifications/settings.html", form=form, settings_list=SETTINGS)


@bp.route("/watching", methods=["GET", "POST"])
@login_required
def watching_page():
    """What you watch; watch a tag or a country by name."""
    form = AddWatchForm()
    done = submit(
        form,
        lambda: watches.set_watch(current_user, form.kind.data, form.value.data, True),
        "You watch it now: new threads there will reach you.",
        url_for(".watching_page"),
    )
    return done or render_template(
        "notifications/watching.html",
        form=form,
        watched=watches.watched(current_user),
        toggle=WatchForm(formdata=None),
    )


@bp.route("/watch", methods=["POST"])
@login_required
def watch():
    """Start or stop watching a thread, category, tag or country (one button)."""
    form = WatchForm()
    on = form.on.data == "1"
    return submit(
        form,
        lambda: watches.set_watch(current_user, form.kind.data, form.value.data or "", on),
        "You are watching it." if on else "You stopped watching it.",
        safe_next(form.next.data, url_for(".watching_page")),
        buttons=True,
    )


def _mention_key() -> str:
    return f"user:{current_user.id}"


@bp.route("/mentions")
@login_required
@limiter.limit("120 per minute", key_func=_mention_key)
def mention_lookup():
    """Members whose name starts with ?q= (for @mention autocomplete), as JSON."""
    thread = None
    thread_id = row_id(request.args.get("thread"))
    if thread_id:
        thread = db.session.get(Thread, thread_id)
        if thread is None or not permissions.can_view_thread(current_user, thread):
            thread = None  # an unknown thread narrows nothing, and says nothing
    users = mentions.suggest(request.args.get("q", ""), thread)
    response = jsonify({"users": [{"username": u.username, "name": u.name} for u in users]})
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail clients POST "List-Unsubscribe=One-Click" without a form (RFC 8058)
def unsubscribe(token):
    """Switch off one kind of e-mail from its link, without logging in."""
    try:
        user, scope = settings.read_unsubscribe_token(token)
    except DomainError as exc:
        return render_template("notifications/unsubscribe.html", error=exc.message), 400
    label = settings.scope_label(scope)
    if request.method == "GET":
        # A GET changes nothing: link checkers and previews open e-mail links too.
        return render_template("notifications/unsubscribe.html", label=label, done=False)
    settings.unsubscribe(user, scope)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("notifications/unsubscribe.html", label=label, done=True)
