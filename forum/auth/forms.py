"""Sign-in and sign-up forms."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..accounts import PASSWORD_MIN

USERNAME_HINT = "3–32 characters: lowercase letters, digits, '.', '-' or '_'."


class LoginForm(FlaskForm):
    """Sign in with a username or an email address."""

    login = StringField("Username or email", validators=[
        DataRequired("Enter your username or email."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()
    submit = SubmitField("Log in")


class RegisterForm(FlaskForm):
    """Create an account; the email address is optional."""

    username = StringField("Username", validators=[
        DataRequired("Choose a username."), Length(3, 32, USERNAME_HINT)])
    email = EmailField("Email (optional)", validators=[
        Optional(), Length(max=254), Email("Enter a valid email address, or leave it empty.")])
    password = PasswordField("Password", validators=[
        DataRequired("Choose a password."),
        Length(min=PASSWORD_MIN, message=f"Use at least {PASSWORD_MIN} characters.")])
    confirm = PasswordField("Repeat the password", validators=[
        DataRequired("Repeat the password."), EqualTo("password", "The passwords differ.")])
    next = HiddenField()
    submit = SubmitField("Create account")


class ResetRequestForm(FlaskForm):
    """Ask for a password reset link by e-mail."""

    email = EmailField("Your account's e-mail address", validators=[
        DataRequired("Enter your e-mail address."), Length(max=254),
        Email("Enter a valid e-mail address.")])
    submit = SubmitField("Send me a reset link")


class ResetPasswordForm(FlaskForm):
    """Choose a new password with a reset link."""

    password = PasswordField("New password", validators=[
        DataRequired("Choose a password."),
        Length(min=PASSWORD_MIN, message=f"Use at least {PASSWORD_MIN} characters.")])
    confirm = PasswordField("Repeat the password", validators=[
        DataRequired("Repeat the password."), EqualTo("password", "The passwords differ.")])
    submit = SubmitField("Set the new password")
