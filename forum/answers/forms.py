"""Forms of the answers blueprint."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from ..models import FLAG_REASONS

REASON_LABELS = {
    "spam": "Spam — advertising or unrelated links",
    "off-topic": "Off-topic — not about this thread or this community",
    "harmful": "Harmful — abusive, personal data, or dangerous advice",
    "duplicate": "Duplicate — the same content is posted elsewhere",
    "other": "Something else (say what below)",
}


class ToggleForm(FlaskForm):
    """One button that sets a state on or off (helpful vote, saved thread)."""

    on = HiddenField(validators=[AnyOf(("0", "1"))])


class FlagForm(FlaskForm):
    """Report a post to the moderators."""

    reason = RadioField("Why should a moderator look at this post?",
                        choices=[SelectChoice(r, REASON_LABELS[r]) for r in FLAG_REASONS],
                        validators=[DataRequired("Choose a reason.")])
    text = TextAreaField("Details for the moderators", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("Send flag")
