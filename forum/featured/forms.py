"""Forms of the featured blueprint."""
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .services import SUMMARY_MAX, SUMMARY_MIN


class SummaryForm(FlaskForm):
    """Write or revise a curated summary; shared by feature and edit."""

    summary = TextAreaField("Curated summary (Markdown)", validators=[
        DataRequired("Write the summary."),
        Length(SUMMARY_MIN, SUMMARY_MAX,
               f"The summary must be {SUMMARY_MIN} to {SUMMARY_MAX:,} characters."),
    ])
    reason = StringField("Note for the audit log", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Save summary")


class UnfeatureForm(FlaskForm):
    """Take a thread out of the library, with an optional reason."""

    reason = StringField("Reason", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Remove from the library")
