"""The search page's query: untrusted arguments in, a page of results (or a reason) out.

Like Lobsters' Search object, this takes raw request arguments and the current
user and sanitises everything itself; unlike the JSON API, nothing here is ever a
400: a bad value is dropped with a plain message and the search still runs.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from .. import searching
from ..api import params
from ..api.params import BadRequest
from ..extensions import db
from ..models import Post
from ..threads.filters import SearchFilters
from ..web.paging import bounded_page

log = logging.getLogger(__name__)

FILTER_KEYS = ("category", "tag", "country", "kind", "status", "featured", "since", "until",
               "outcome", "theme", "period")
SORTS = ("relevance", "newest")
PER_PAGE = 20  # app.config["SEARCH_PER_PAGE"] overrides
MAX_PAGE = 500


@dataclass
class SearchRequest:
    """A search as asked for, after cleaning: what runs and what was set aside."""

    q: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    args: dict = field(default_factory=dict)  # the kept filter values, for links
    page: int = 1
    per_page: int = PER_PAGE
    sort: str = "relevance"
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """True when there is anything to search for or filter by."""
        return bool(self.q.strip() or self.args)

    def link_args(self, filters: bool = True, **changes) -> dict:
        """Query-string arguments of this search, with some changed (None drops one)."""
        out = {"q": self.q, **(self.args if filters else {}), "sort": self.sort,
               "page": self.page}
        out.update(changes)
        return {k: v for k, v in out.items()
                if v not in (None, "") and not (k == "page" and v == 1)
                and not (k == "sort" and v == "relevance")}


@dataclass
class SearchOutcome:
    """What the page shows: hits, counts, timing and the search mode."""

    hits: list = field(default_factory=list)
    total: int = 0
    per_page: int = PER_PAGE
    seconds: float = 0.0
    mode: str = "hybrid"  # hybrid | lexical (model loading or unavailable) | off
    failed: bool = False

    @property
    def lexical_only(self) -> bool:
        """True when results were matched by keywords alone."""
        return self.mode == "lexical"

    @property
    def pages(self) -> int:
        """How many pages of results there are."""
        return max(1, math.ceil(self.total / self.per_page))


def _clean(value) -> str:
    # NUL bytes are never meaningful in a query and PostgreSQL rejects them.
    return str(value or "").replace("\x00", "")


def parse_search_args(args, user) -> SearchRequest:
    """Read the search page's arguments; bad values are dropped with a message."""
    req = SearchRequest(q=_clean(args.get("q")).strip(),
                        per_page=current_app.config.get("SEARCH_PER_PAGE", PER_PAGE))
    if len(req.q) > params.QUERY_MAX:
        req.q = req.q[:params.QUERY_MAX]
        req.problems.append(f"Your search was shortened to its first {params.QUERY_MAX:,} "
                            "characters.")
    req.sort = args.get("sort") if args.get("sort") in SORTS else "relevance"
    req.page = bounded_page(_clean(args.get("page")), MAX_PAGE)
    for key in FILTER_KEYS:
        value = _clean(args.get(key)).strip()
        if not value:
            continue
        try:
            _check_filter(key, value, user)
        except BadRequest as exc:
            req.problems.append(f"A filter was left out: {_plain(exc)}")
        else:
            req.args[key] = value
    req.filters = params.search_filters(req.args, user)
    return req


def _check_filter(key: str, value: str, user) -> None:
    """Raise BadRequest when one filter value cannot be used by this user."""
    # A category this user may not read is refused exactly like a missing one (params).
    params.search_filters({key: value}, user)


def _plain(exc: BadRequest) -> str:
    """The API's message in page words ('kind' -> Kind)."""
    message = str(exc)
    for key in FILTER_KEYS:
        message = message.replace(f"'{key}'", key.capitalize())
    return message


def run_search(user, req: SearchRequest) -> SearchOutcome:
    """Run the search; a failing engine is logged and shown as a notice, never a 500."""
    if not req.active:
        return SearchOutcome()
    started = time.perf_counter()
    try:
        page = searching.search_threads(user, req.q, req.filters, req.page, req.per_page,
                                       req.sort)
    except Exception:  # noqa: BLE001 - the page must answer even when search breaks
        log.exception("Search failed for a query of %d characters", len(req.q))
        return SearchOutcome(failed=True)
    return SearchOutcome(page.hits, page.total, req.per_page, time.perf_counter() - started,
                         page.mode)



def opening_bodies(thread_ids) -> dict[int, str]:
    """{thread id: opening post body} in one query; hidden or deleted posts give no text."""
    if not thread_ids:
        return {}
    rows = db.session.execute(select(Post.thread_id, Post.body).where(
        Post.thread_id.in_(list(thread_ids)), Post.is_opening.is_(True),
        Post.deleted_at.is_(None), Post.is_hidden.is_(False)))
    return {thread_id: body for thread_id, body in rows}
