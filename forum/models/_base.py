"""Shared column helpers for the models."""
from datetime import datetime, timezone

from sqlalchemy import event

from ..names import place_key


def utcnow() -> datetime:
    """The current time as a naive UTC datetime (stored the same on SQLite and PostgreSQL)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


MAX_ID = 2**31 - 1  # integer primary keys are 32-bit on PostgreSQL
YEAR_MIN, YEAR_MAX = 1950, 2100  # dates and years any filter or form accepts (issue 12)


def row_id(value) -> int | None:
    """A typed-in id as an int when it could name a row; None for anything else.

    PostgreSQL rejects a larger number outright (an error, not "no row"), so ids from
    forms and query strings pass through here before they reach a query.
    """
    text = str(value).strip() if value is not None else ""
    # isdigit() takes "²", which int() refuses; more than 10 digits is beyond MAX_ID anyway.
    if not text.isdecimal() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def keeps_country_key(model):
    """Class decorator: ``country_key`` follows ``country`` (``place_key``) on every write of
    the row, so a country is looked up by index whatever case it was typed or asked in."""
    def set_key(mapper, connection, target) -> None:
        target.country_key = place_key(target.country)
    event.listen(model, "before_insert", set_key)
    event.listen(model, "before_update", set_key)
    return model
