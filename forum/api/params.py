"""Validation of API input: every bad value becomes a 400 with a clear message."""
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select

from .. import permissions
from ..extensions import db
from ..models import OUTCOMES, Category
from ..models._base import MAX_ID, row_id
from ..threads.filters import YEAR_MAX, YEAR_MIN, SearchFilters, normalise_period
from ..web.input import strip_controls

TITLE_MAX = 300
BODY_MAX = 50_000
QUERY_MAX = 1_000


class BadRequest(Exception):
    """Input the API cannot use; the message goes back to the client."""


def text(data: dict, key: str, max_len: int) -> str:
    """A string field (absent = empty) no longer than max_len."""
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"'{key}' must be a string.")
    if len(value) > max_len:
        raise BadRequest(f"'{key}' is too long (at most {max_len:,} characters).")
    return strip_controls(value)  # NUL is refused by PostgreSQL; the rest is invisible


def integer(data: dict, key: str, default: int, low: int, high: int = MAX_ID) -> int:
    """An integer field within [low, high] (ids by default); numeric strings are accepted."""
    value: Any = data.get(key, default)
    if isinstance(value, bool):
        raise BadRequest(f"'{key}' must be an integer.")
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdecimal():  # not isdigit(): int() refuses "²"
            raise BadRequest(f"'{key}' must be an integer.")
        # Python refuses to convert more than 4,300 digits; none of ours needs 20.
        value = int(value) if len(value) <= 20 else (-1 if value.startswith("-") else 1) * 10**20
    if not isinstance(value, int):
        raise BadRequest(f"'{key}' must be an integer.")
    if value < low or value > high:
        raise BadRequest(f"'{key}' must be between {low} and {high}.")
    return value


def category(data: dict, user, key: str = "category") -> Optional[Category]:
    """A category named by slug, name or id that this user may read; any other is a 400."""
    value = data.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadRequest(f"'{key}' must be a category slug or id.")
    stmt = select(Category)
    if isinstance(value, int) or str(value).isdecimal():
        number = row_id(value)  # a number no row can have is simply unknown
        found = db.session.get(Category, number) if number else None
    else:
        found = db.session.scalar(stmt.where((Category.slug == value) | (Category.name == value)))
    if found is None or not permissions.can_view_category(user, found):
        # Security: a category this user may not read answers exactly like a missing one.
        raise BadRequest(f"Unknown category {value!r}.")
    return found


def choice(data: dict, key: str, allowed: tuple) -> str:
    """One of the allowed strings, or empty."""
    value = text(data, key, 50)
    if value and value not in allowed:
        raise BadRequest(f"'{key}' must be one of: {', '.join(allowed)}.")
    return value


def date(data: dict, key: str) -> Optional[datetime]:
    """A YYYY-MM-DD date, or None."""
    value = text(data, key, 10)
    if not value:
        return None
    try:
        found = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise BadRequest(f"'{key}' must be a date like 2025-01-31.") from None
    if not YEAR_MIN <= found.year <= YEAR_MAX:
        # 9999-12-31 plus the day 'until' includes would overflow the datetime.
        raise BadRequest(f"'{key}' must be a date between {YEAR_MIN} and {YEAR_MAX}.")
    return found


def flag(data: dict, key: str) -> bool:
    """A boolean (true/false, 1/0, yes/no)."""
    value = data.get(key, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false",
                                                     "no", "off", ""):
        return value.lower() in ("1", "true", "yes", "on")
    raise BadRequest(f"'{key}' must be true or false.")


def period(data: dict, key: str = "period") -> str:
    """A year (2024) or a range of years (2022-2024), or empty."""
    value = text(data, key, 20).strip()
    if not value:
        return ""
    try:
        return normalise_period(value)
    except ValueError:
        raise BadRequest(f"'{key}' must be a year like 2024 or a range like 2022-2024.") from None


def search_filters(data: dict, user) -> SearchFilters:
    """Every filter of the search API and page, as this user may use them."""
    return SearchFilters(
        category=category(data, user), tag=text(data, "tag", 50).strip().lower(),
        country=text(data, "country", 100).strip(),
        kind=choice(data, "kind", ("question", "experience")),
        status=choice(data, "status", ("open", "solved", "closed", "unanswered")),
        featured=flag(data, "featured"), since=date(data, "since"), until=date(data, "until"),
        outcome=choice(data, "outcome", OUTCOMES), theme=text(data, "theme", 100).strip(),
        period=period(data),
    )
