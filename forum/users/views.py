"""Profiles, profile settings and saved threads."""
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..auth.services import suspension_notice
from ..domain import DomainError
from ..suggestions import log as suggestion_log
from ..web.forms import populate_errors
from ..web.limits import budget
from ..web.paging import page_number
from . import bp, services
from .forms import ProfileForm


@bp.route("/u/<username>")
def profile(username):
    """A member's public profile with contribution counts and recent threads."""
    user = services.find_user(username)
    if user is None:
        abort(404)
    own = current_user.is_authenticated and current_user.id == user.id
    return render_template(
        "users/profile.html", user=user, own=own,
        counts=services.contributions(current_user, user),
        threads=services.recent_threads(current_user, user),
        suspension=suspension_notice(user) if own else None)


@bp.route("/settings/profile", methods=["GET", "POST"])
@budget("profile")
@login_required
def settings():
    """Edit your own profile."""
    form = ProfileForm(obj=current_user)
    if not form.is_submitted():
        form.suggestion_opt_out.data = not suggestion_log.recording_for(current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, **form.profile_data())
            suggestion_log.set_opt_out(current_user, form.suggestion_opt_out.data)
        except DomainError as exc:
            populate_errors(form, exc)
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for("users.profile", username=current_user.username))
    return render_template("users/settings.html", form=form)


@bp.route("/saved")
@login_required
def bookmarks():
    """Threads you saved that you may still see."""
    page = page_number()
    pagination = services.saved_threads(current_user, page,
                                        current_app.config["THREADS_PER_PAGE"])
    return render_template("users/bookmarks.html", pagination=pagination)
