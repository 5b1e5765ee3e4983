"""Map a service's DomainError onto a Flask-WTF form (FlaskBB populate_errors)."""
from .domain import DomainError


def populate_errors(form, error: DomainError) -> None:
    """Put each (field, message) reason beside its field, the rest above the form."""
    for field_name, message in error.reasons:
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)
