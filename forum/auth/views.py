"""Sign up, log in, log out: thin views over auth.services."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from .. import login_sessions as sessions
from ..domain import DomainError
from ..extensions import limiter
from ..web.forms import populate_errors
from ..web.limits import budget
from . import bp, reset, services
from .forms import LoginForm, RegisterForm, ResetPasswordForm, ResetRequestForm
from .redirects import safe_next


def _auth_limit() -> str:
    """Rate limit for login and sign-up POSTs (slows password guessing)."""
    return current_app.config.get("AUTH_RATE_LIMIT", "10 per minute")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def login():
    """Log in by username or email."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.login.data, form.password.data)
        except DomainError as exc:
            populate_errors(form, exc)
        else:
            sessions.start(user, request.user_agent.string)
            login_user(user, remember=form.remember.data, duration=sessions.lifetime())
            notice = services.suspension_notice(user)
            flash(notice or f"Welcome back, {user.name}.", "error" if notice else "success")
            return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@budget("register")
def register():
    """Create an account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("threads.index"))
    form = RegisterForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.register(form.username.data, form.password.data, form.email.data)
        except DomainError as exc:
            populate_errors(form, exc)
        else:
            sessions.start(user, request.user_agent.string)
            login_user(user)
            # The same words whether or not the address has an account (issue 12).
            check = "" if not user.pending_email else (
                " To use your e-mail address, open the link we sent to it."
                if reset.available() else " Your e-mail address waits for confirmation.")
            flash(f"Welcome to Headstart, {user.username}.{check}", "success")
            return redirect(safe_next(form.next.data))
    return render_template("auth/register.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST with a CSRF token only, so no link or image can log you out)."""
    if current_user.is_authenticated:
        # Security: deleting the session row ends every copy of this session and
        # remember cookie, not only the one this browser holds (issue 12).
        sessions.end(current_user.session_key)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("threads.index"))


@bp.app_template_global()
def reset_available() -> bool:
    """True when passwords can be reset by e-mail (a mail server is configured)."""
    return reset.available()


# Security: the same words whether or not an account has the address (issue 11).
RESET_SENT = ("If an account has that address, we sent it an e-mail with a link to choose "
              "a new password. The link works for a limited time, once.")


@bp.route("/reset", methods=["GET", "POST"])
@budget("password_reset")
def reset_request():
    """Ask for a password reset e-mail."""
    form = ResetRequestForm()
    if reset.available() and form.validate_on_submit():
        reset.request_reset(form.email.data)
        flash(RESET_SENT, "info")
        return redirect(url_for(".login"))
    return render_template("auth/reset_request.html", form=form, available=reset.available())


@bp.route("/reset/<token>", methods=["GET", "POST"])
@budget("password_reset")
def reset_password(token):
    """Choose a new password with the link from the e-mail."""
    try:
        user = reset.user_for_token(token)
    except DomainError as exc:
        return render_template("auth/reset_password.html", form=None, error=exc.message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset.reset_password(token, form.password.data)
        except DomainError as exc:
            populate_errors(form, exc)
        else:
            flash("Your password is changed. Log in with the new one.", "success")
            return redirect(url_for(".login"))
    return render_template("auth/reset_password.html", form=form, user=user)
