"""Moderation forms; prefixed so several can share the moderator's thread page."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..web.forms import Years

REASON_HINT = "Why: kept in the audit log."


def _reason(label: str = "Reason", required: bool = False) -> StringField:
    checks = [DataRequired("Give a reason: the author will see it.")] if required else [Optional()]
    return StringField(label, validators=checks + [Length(max=500)])


class ReasonForm(FlaskForm):
    """A one-button action with an optional reason (close, reopen, unpin, unhide)."""

    reason = _reason()
    submit = SubmitField("Confirm")


class HideForm(FlaskForm):
    """Hide a thread or post; the reason is shown to the author."""

    reason = _reason("Reason shown to the author", required=True)
    submit = SubmitField("Hide")


class PinForm(FlaskForm):
    """Pin a thread in its category or site-wide, optionally until a date."""

    scope = RadioField("Where", choices=[SelectChoice("category", "At the top of its category"),
                                       SelectChoice("site", "At the top of the whole site")],
                       default="category", validators=[DataRequired()])
    until = DateField("Until (optional)", validators=[Optional(), Years()])
    reason = _reason()
    submit = SubmitField("Pin")


class MoveForm(FlaskForm):
    """Move a thread to another category."""

    category = SelectField("Move to", coerce=int, validators=[DataRequired("Pick a category.")])
    reason = _reason()
    submit = SubmitField("Move")


class TagsForm(FlaskForm):
    """Replace a thread's tags."""

    tags = StringField("Tags", validators=[Optional(), Length(max=300)],
                       description="Comma-separated, e.g. pooled-funds, governance")
    reason = _reason()
    submit = SubmitField("Save tags")


class DuplicateForm(FlaskForm):
    """Close a thread as a duplicate of an original."""

    original = StringField("Original thread (number or address)", validators=[
        DataRequired("Give the original thread's number or its address."), Length(max=300)])
    move_replies = BooleanField("Move this thread's replies into the original")
    reason = _reason()
    submit = SubmitField("Mark as duplicate")


class ResolveForm(FlaskForm):
    """Act on a post's flags: hide the post, or dismiss the flags."""

    note = StringField("Note (sent with the outcome; used as the hiding reason)",
                       validators=[Optional(), Length(max=500)])
    hide = SubmitField("Hide the post")
    dismiss = SubmitField("Dismiss the flags")
