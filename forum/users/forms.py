"""The profile, password and API token forms."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from ..accounts import PASSWORD_MIN
from ..api.tokens import EXPIRY_DAYS
from .services import PROFILE_LIMITS


def _limit(name: str) -> Length:
    return Length(max=PROFILE_LIMITS[name], message=f"Use at most {PROFILE_LIMITS[name]:,} characters.")


class ProfileForm(FlaskForm):
    """What other members see about you; every field is optional."""

    display_name = StringField("Display name", validators=[_limit("display_name")])
    country = StringField("Country or office", validators=[_limit("country")])
    organisation = StringField("Organisation", validators=[_limit("organisation")])
    expertise = StringField("Areas of expertise", validators=[_limit("expertise")])
    bio = TextAreaField("Short bio", validators=[_limit("bio")])
    suggestion_opt_out = BooleanField("Do not record what I do with similar-thread suggestions")
    submit = SubmitField("Save profile")

    def profile_data(self) -> dict:
        """The profile fields as plain values for users.services.update_profile."""
        return {name: getattr(self, name).data or "" for name in PROFILE_LIMITS}


class PasswordChangeForm(FlaskForm):
    """Change your password: the current one first (a borrowed session is not enough)."""

    current = PasswordField("Current password", validators=[
        DataRequired("Enter your current password.")])
    password = PasswordField("New password", validators=[
        DataRequired("Choose a new password."),
        Length(min=PASSWORD_MIN, message=f"Use at least {PASSWORD_MIN} characters.")])
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired("Repeat the new password."), EqualTo("password", "The passwords differ.")])
    submit = SubmitField("Change password")


class TokenForm(FlaskForm):
    """Create a personal API token."""

    name = StringField("What is it for?", validators=[
        DataRequired("Name the token, e.g. the tool that will use it."), Length(max=100)])
    scope = RadioField("Access", default="read", choices=[
        SelectChoice("read", "Read: similar threads and search, as you may see them"),
        SelectChoice("write", "Read and write: also post replies in your name")])
    days = SelectField("Works for", coerce=int, default=90, choices=[
        SelectChoice(d, f"{d} days") for d in EXPIRY_DAYS])
    submit = SubmitField("Create token")


class ButtonForm(FlaskForm):
    """A button with nothing but its CSRF token (sign out elsewhere, revoke)."""

    submit = SubmitField("Confirm")
