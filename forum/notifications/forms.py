"""Forms of the notifications blueprint."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional

from ..models import WATCH_KINDS
from .kinds import SETTINGS


class WatchForm(FlaskForm):
    """One button that starts or stops watching a thread, category, tag or country."""

    kind = HiddenField(validators=[AnyOf(WATCH_KINDS)])
    value = HiddenField(validators=[DataRequired(), Length(max=100)])
    on = HiddenField(validators=[AnyOf(("0", "1"))])
    next = HiddenField()


class AddWatchForm(FlaskForm):
    """Watch a tag or a country by name."""

    kind = RadioField("Watch", choices=[SelectChoice("tag", "a tag"),
                                        SelectChoice("country", "a country")],
                      default="tag", validators=[DataRequired()])
    value = StringField("Name", validators=[DataRequired("Give a tag or a country."),
                                            Length(max=100, message="Use at most 100 characters.")])
    submit = SubmitField("Watch")


class SettingsForm(FlaskForm):
    """What reaches you, where; the web_* and email_* boxes are added below, one per setting."""

    email = EmailField("E-mail address", validators=[
        Optional(), Length(max=254), Email("Enter a valid e-mail address, or leave it empty.")])
    digest = RadioField("Digest e-mail", choices=[
        SelectChoice("off", "No digest"), SelectChoice("daily", "Daily"),
        SelectChoice("weekly", "Weekly")], default="off", validators=[DataRequired()])
    submit = SubmitField("Save settings")

    def choices(self) -> dict[str, tuple[bool, bool]]:
        """{setting key: (in the forum, by e-mail)} as ticked."""
        return {s.key: (bool(self[f"web_{s.key}"].data), bool(self[f"email_{s.key}"].data))
                for s in SETTINGS}

    def fill(self, preferences: dict) -> None:
        """Tick the boxes from the member's current preferences."""
        for key, choice in preferences.items():
            self[f"web_{key}"].data, self[f"email_{key}"].data = choice.web, choice.email


for _setting in SETTINGS:
    setattr(SettingsForm, f"web_{_setting.key}", BooleanField("In the forum"))
    setattr(SettingsForm, f"email_{_setting.key}", BooleanField("By e-mail"))
