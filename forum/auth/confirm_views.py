"""The page a confirmation link opens: one button, so a mail scanner's visit changes nothing."""
from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from ..domain import DomainError
from . import bp, confirm


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
def confirm_email(token):
    """Confirm an e-mail address with the link mailed to it."""
    form = FlaskForm()
    if form.validate_on_submit():
        try:
            user = confirm.confirm(token)
        except DomainError as exc:
            return render_template("auth/confirm_email.html", form=None, error=exc.message), 400
        flash(f"{user.email} is now the address of your account.", "success")
        return redirect(url_for("threads.index"))
    return render_template("auth/confirm_email.html", form=form, error=None)
