"""Thread and post forms, shared by create and edit (STYLE habit 6)."""
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..web.forms import Visible
from .services import BODY_MAX, BODY_MIN, TITLE_MAX, TITLE_MIN

TITLE_HINT = f"{TITLE_MIN}–{TITLE_MAX} characters: say what you want to know or share."
BODY_HINT = "Markdown works: **bold**, lists, [links](https://example.org)."


class ThreadForm(FlaskForm):
    """Open a thread: a question or an experience."""

    title = StringField("Title", validators=[
        DataRequired("Give your thread a title."), Visible("A title needs visible words."),
        Length(TITLE_MIN, TITLE_MAX, f"Title must be {TITLE_MIN} to {TITLE_MAX} characters."),
    ])
    body = TextAreaField("Details", validators=[
        DataRequired("Write a few words."), Visible("Write a few visible words."),
        Length(BODY_MIN, BODY_MAX, f"Post must be {BODY_MIN} to {BODY_MAX:,} characters."),
    ])
    category = SelectField("Category", coerce=int, validators=[DataRequired("Pick a category.")])
    kind = RadioField("This is a", choices=[
        SelectChoice("question", "Question — I want to know how others did it"),
        SelectChoice("experience", "Experience — what we tried and how it went"),
    ], default="question", validators=[DataRequired()])
    country = StringField("Country or office", validators=[Optional(), Length(max=100)])
    tags = StringField("Tags", validators=[Optional(), Length(max=300)],
                       description="Comma-separated, e.g. pooled-funds, governance")
    dismissed_similar = HiddenField()
    suggestion_session = HiddenField()  # links suggestion events to the posted thread
    check = SubmitField("Check for similar threads")
    submit = SubmitField("Post thread")


class ReplyForm(FlaskForm):
    """Reply to a thread."""

    body = TextAreaField("Your reply", validators=[
        DataRequired("Write a few words."), Visible("Write a few visible words."),
        Length(BODY_MIN, BODY_MAX, f"Post must be {BODY_MIN} to {BODY_MAX:,} characters."),
    ])
    reply_to = HiddenField()  # the post this reply answers ("Reply" or "Quote" on it)
    submit = SubmitField("Post reply")


class EditPostForm(FlaskForm):
    """Edit a post; title and tags only apply to an opening post."""

    title = StringField("Title", validators=[
        Optional(), Visible("A title needs visible words."),
        Length(TITLE_MIN, TITLE_MAX, f"Title must be {TITLE_MIN} to {TITLE_MAX} characters."),
    ])
    tags = StringField("Tags", validators=[Optional(), Length(max=300)])
    body = ReplyForm.body
    submit = SubmitField("Save changes")


class ConfirmForm(FlaskForm):
    """An empty form that only carries the CSRF token (delete, restore)."""
