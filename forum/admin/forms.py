"""Admin forms: roles, suspensions, groups and categories."""
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..models import ROLES
from ..web.forms import Years


class RoleForm(FlaskForm):
    """Change a member's role."""

    role = SelectField("Role", choices=[SelectChoice(r, r.capitalize()) for r in ROLES])
    reason = StringField("Reason (audit log)", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Change role")


class SuspendForm(FlaskForm):
    """Suspend a member until a date, with a reason they will see."""

    until = DateField("Suspended until", validators=[DataRequired("Pick the end date."),
                                                     Years()])
    reason = StringField("Reason shown to the member", validators=[
        DataRequired("Give a reason."), Length(max=500)])
    submit = SubmitField("Suspend")


class ReasonForm(FlaskForm):
    """A one-button action with an optional reason."""

    reason = StringField("Reason (audit log)", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Confirm")


class GroupForm(FlaskForm):
    """Create a group."""

    name = StringField("Name", validators=[DataRequired("Name the group."), Length(max=64)])
    description = StringField("Description", validators=[Optional(), Length(max=300)])
    submit = SubmitField("Create group")


class MemberForm(FlaskForm):
    """Add a member to a group by username."""

    username = StringField("Username", validators=[DataRequired("Give a username."),
                                                   Length(max=64)])
    submit = SubmitField("Add member")


class CategoryForm(FlaskForm):
    """Create or edit a category; the edit page drops the name field."""

    name = StringField("Name", validators=[DataRequired("Name the category."), Length(max=100)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=500)])
    visibility = SelectField("Who may read it")
    submit = SubmitField("Save category")
