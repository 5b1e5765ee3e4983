"""Forms and services meet here: run a service behind a form, map its errors onto the form."""
from typing import Callable, Optional, Union

from flask import abort, flash, redirect

from .domain import DomainError, NotAllowed


def populate_errors(form, error: DomainError) -> None:
    """Put each (field, message) reason beside its field, the rest above the form."""
    for field_name, message in error.reasons:
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)


def submit(form, call: Callable[[], object], success: str,
           back: Union[str, Callable[[], str]]) -> Optional[object]:
    """Validate the form and run the service call (FlaskBB populate_errors, once).

    Returns a redirect after success; None when the form is invalid or the service
    broke a rule (its reasons are then on the form, for the view to re-render with
    the user's text intact). NotAllowed is a 403.
    """
    if not form.validate_on_submit():
        return None
    try:
        call()
    except NotAllowed:
        abort(403)
    except DomainError as exc:
        populate_errors(form, exc)
        return None
    flash(success, "success")
    return redirect(back() if callable(back) else back)
