"""The profile form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

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
