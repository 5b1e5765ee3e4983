"""Page numbers and ids from the query string or the URL, bounded before they reach SQL."""
from flask import abort, request

from ..models import _base

MAX_PAGE = 100_000  # far past any real listing; an empty page beyond the last one
MAX_ID = _base.MAX_ID  # integer keys are 32-bit on PostgreSQL


def page_number(name: str = "page", cap: int = MAX_PAGE) -> int:
    """The 1-based page asked for; anything unusable is page 1, huge ones are capped."""
    return bounded_page(request.args.get(name, ""), cap)


def bounded_page(value: str, cap: int = MAX_PAGE) -> int:
    """A typed-in page number as 1..cap; anything that is not a number is page 1."""
    value = (value or "").strip()
    if not value.isdecimal():  # isdigit() also takes "²", which int() refuses
        return 1
    if len(value) > 9:  # int() refuses more than 4,300 digits; 9 already pass any cap
        return cap
    return max(1, min(int(value), cap))


def bounded_id(value: int) -> int:
    """An id from a URL, or 404 when no row could have it (too large for the database)."""
    if not 0 < int(value) <= MAX_ID:
        abort(404)
    return int(value)


class Pager:
    """Page links for a list that is not a database pagination (the search page's)."""

    def __init__(self, page: int, pages: int) -> None:
        self.page, self.pages = page, max(1, pages)

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)
