"""Forms of the learning blueprint: experience details, adaptations, outcomes, consolidated replies."""
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from ..models import OUTCOME_LABELS, OUTCOMES
from . import adaptations, consolidated, experiences

OUTCOME_CHOICES = [SelectChoice(o, OUTCOME_LABELS[o]) for o in OUTCOMES]


def _max(limits: dict, name: str) -> Length:
    return Length(max=limits[name], message=f"Use at most {limits[name]:,} characters.")


class ExperienceForm(FlaskForm):
    """The structured side of an experience; every field is optional."""

    country = StringField("Country", validators=[_max(experiences.LIMITS, "country")])
    region = StringField("Region or province", validators=[_max(experiences.LIMITS, "region")])
    theme = StringField("Theme or sector", validators=[_max(experiences.LIMITS, "theme")])
    setting = StringField("Setting", validators=[_max(experiences.LIMITS, "setting")])
    scale = StringField("Scale", validators=[_max(experiences.LIMITS, "scale")])
    period = StringField("Period", validators=[_max(experiences.LIMITS, "period")])
    tried = TextAreaField("What was tried", validators=[_max(experiences.LIMITS, "tried")])
    outcome = RadioField("Outcome", choices=[SelectChoice("", "Not said yet")] + OUTCOME_CHOICES,
                         default="", validators=[Optional()])
    lessons = TextAreaField("Lessons", validators=[_max(experiences.LIMITS, "lessons")])
    evidence = TextAreaField("Evidence links", validators=[_max(experiences.LIMITS, "evidence")])
    submit = SubmitField("Save details")

    def values(self) -> dict:
        """The fields as plain values for experiences.save_experience."""
        return {name: getattr(self, name).data or "" for name in experiences.FIELDS}


class AdaptationForm(FlaskForm):
    """'We adapted this': where, what changed, when, and (later) how it went."""

    country = StringField("Country", validators=[_max(adaptations.LIMITS, "country")])
    team = StringField("Team or office", validators=[_max(adaptations.LIMITS, "team")])
    post_id = SelectField("What you adapted", coerce=int, default=0)
    changes = TextAreaField("What you changed", validators=[_max(adaptations.LIMITS, "changes")])
    adapted_on = DateField("When", validators=[Optional()],
                           render_kw={"placeholder": "YYYY-MM-DD"})
    outcome = RadioField("Outcome so far", choices=[SelectChoice("", "Too soon to say anything")]
                         + OUTCOME_CHOICES, default="", validators=[Optional()])
    submit = SubmitField("Save")


class OutcomeForm(FlaskForm):
    """One click: the outcome is the value of the button pressed."""

    outcome = StringField(validators=[
        DataRequired("Choose an outcome."),
        AnyOf(OUTCOMES, message="Choose one of the four outcomes.")])


class ConsolidatedForm(FlaskForm):
    """Edit the consolidated reply; save it as a draft or publish it."""

    body = TextAreaField("Consolidated reply (Markdown)", validators=[
        DataRequired("Write the consolidated reply."),
        Length(consolidated.BODY_MIN, consolidated.BODY_MAX,
               f"The consolidated reply must be {consolidated.BODY_MIN} to "
               f"{consolidated.BODY_MAX:,} characters.")])
    note = StringField("Note on this version", validators=[Optional(), Length(max=200)])
    save = SubmitField("Save draft")
    publish = SubmitField("Publish")
