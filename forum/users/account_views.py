"""Account settings: password, signed-in devices, personal API tokens (issue 12)."""
from flask import render_template, url_for
from flask_login import current_user, login_required

from .. import accounts, login_sessions
from ..api import tokens
from ..domain import DomainError
from ..web.forms import populate_errors, submit
from . import bp
from .forms import ButtonForm, PasswordChangeForm, TokenForm


def _security_page(form=None, status: int = 200):
    return render_template(
        "users/security.html", form=form or PasswordChangeForm(formdata=None),
        sessions=login_sessions.active(current_user), button=ButtonForm(formdata=None),
        current_key=current_user.session_key,
        is_current=login_sessions.is_current), status


@bp.route("/settings/security", methods=["GET"])
@login_required
def security():
    """Change the password; see where you are signed in."""
    return _security_page()


@bp.route("/settings/password", methods=["POST"])
@login_required
def change_password():
    """Change the password (the current one is required); other sessions end."""
    form = PasswordChangeForm()
    done = submit(form, lambda: accounts.change_password(
        current_user, form.current.data, form.password.data, current_user.session_key),
        "Your password is changed; you are signed out on every other device.",
        url_for(".security"))
    return done or _security_page(form, 400)


@bp.route("/settings/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    """Sign out on every other device, keeping this one."""
    return submit(ButtonForm(), lambda: login_sessions.end_all(
        current_user, keep=current_user.session_key),
        "You are signed out on every other device.", url_for(".security"), buttons=True)


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def api_tokens():
    """Personal API tokens: create one (its secret is shown once), see and revoke them."""
    form, secret, status = TokenForm(), None, 200
    if form.validate_on_submit():
        try:
            _, secret = tokens.create(current_user, form.name.data, form.scope.data,
                                      form.days.data)
        except DomainError as exc:
            populate_errors(form, exc)
        else:
            form = TokenForm(formdata=None)
    if form.errors or form.form_errors:
        status = 400
    response = render_template("users/tokens.html", form=form, secret=secret,
                               tokens=tokens.active(current_user),
                               button=ButtonForm(formdata=None))
    # The secret is on this page only: no cache may keep it.
    return response, status, {"Cache-Control": "no-store"}


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    """Revoke one of your tokens at once."""
    return submit(ButtonForm(), lambda: tokens.revoke(current_user, token_id),
                  "The token is revoked.", url_for(".api_tokens"), buttons=True)
