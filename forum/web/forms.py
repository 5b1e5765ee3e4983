"""Forms and services meet here: run a service behind a form, map its errors onto the form."""
from typing import Callable, Optional, Union

from flask import abort, flash, redirect
from wtforms.validators import ValidationError

from ..domain import DomainError, NotAllowed
from ..markup import has_visible
from ..models._base import YEAR_MAX, YEAR_MIN


class Visible:
    """WTForms validator: the text must have a character a reader can see (issue 12).

    Zero-width spaces, direction overrides or a Hangul filler alone pass a length
    check but make a title nobody can see or click.
    """

    def __init__(self, message: str = "Use some visible letters, numbers or signs."):
        self.message = message

    def __call__(self, form, field) -> None:
        """Raise ValidationError when the field has text but nothing visible."""
        if field.data and not has_visible(field.data):
            raise ValidationError(self.message)


class Years:
    """WTForms validator: a date between 1950 and 2100 (issue 12).

    Year 9999 is a valid date, but a day added to it is not: every date a form takes
    stays where arithmetic and both databases are safe.
    """

    def __call__(self, form, field) -> None:
        """Raise ValidationError for a date outside YEAR_MIN..YEAR_MAX."""
        if field.data and not YEAR_MIN <= field.data.year <= YEAR_MAX:
            raise ValidationError(f"Give a date between {YEAR_MIN} and {YEAR_MAX}.")


def populate_errors(form, error: DomainError) -> None:
    """Put each (field, message) reason beside its field, the rest above the form."""
    for field_name, message in error.reasons:
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)


def submit(form, call: Callable[[], object], success: str,
           back: Union[str, Callable[[], str]], *, buttons: bool = False) -> Optional[object]:
    """Validate the form and run the service call (FlaskBB populate_errors, once).

    A page form (``buttons=False``) returns None when the form is invalid or the
    service broke a rule: the reasons are on the form, and the view re-renders it
    with the user's text intact. A button (``buttons=True``: confirm, accept, vote)
    has no text to keep: its messages are flashed and the browser goes back. Either
    way a missing CSRF token is a 400 and NotAllowed a 403; success flashes and
    redirects to ``back``.
    """
    def target() -> str:
        return back() if callable(back) else back

    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        if not buttons:
            return None
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
        return redirect(target())
    try:
        call()
    except NotAllowed:
        abort(403)
    except DomainError as exc:
        if not buttons:
            populate_errors(form, exc)
            return None
        flash(exc.message, "error")
        return redirect(target())
    flash(success, "success")
    return redirect(target())
