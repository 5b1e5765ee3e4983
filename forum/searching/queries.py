"""The query side: rank with the process's current view, then filter per user in the database.

Security note: the index knows nothing about permissions. Every result goes
through permissions.visible_threads before it reaches a page or the API, and we
over-fetch so that filtering does not empty the list (Discourse's approach),
up to a cap, with the id lists cut to sizes every database accepts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import aliased, selectinload

from .. import permissions
from ..extensions import db
from ..models import Category, FeaturedPractice, Post, Thread
from ..threads.filters import SearchFilters

# Retrieval depth for the search page; hits below MIN_DENSE cosine with no keyword
# match are not counted as results (dense retrieval always returns *something*).
SEARCH_DEPTH = 1000
MIN_DENSE = 0.35
# Featured practices win ties among equally close suggestions, no more.
FEATURED_BONUS = 0.02
# Over-fetch for permission filtering stops here: a user who may see almost nothing
# gets fewer suggestions rather than a query over the whole index.
MAX_CANDIDATES = 2000
IN_CHUNK = 500  # ids per IN (…) list: far below SQLite's and PostgreSQL's limits
SNIPPET_SOURCE = 1500  # characters of an opening post read for an API snippet (220 shown)


@dataclass
class SimilarHit:
    """A thread found close to a text, with its closeness in [0, 1]."""

    thread: Thread
    score: float
    rank_score: float = 0.0


@dataclass
class SearchPage:
    """One page of search results, how many there are in all, and how they were found."""

    hits: list[SimilarHit]
    total: int
    page: int
    per_page: int
    mode: str  # "hybrid", "lexical" (no model yet or at all) or "off"

    @property
    def lexical_only(self) -> bool:
        """True when results were matched by keywords alone."""
        return self.mode != "hybrid"


def service():
    """This app's SearchService."""
    return current_app.extensions["searching"]


def enabled() -> bool:
    """SEARCH_ENABLED, read in this one place."""
    return service().enabled


def search_mode() -> str:
    """'off' (switched off), 'lexical' (model loading or unavailable) or 'hybrid'."""
    if not enabled():
        return "off"
    return service().search_mode


def search_notice() -> str:
    """Why matching is by keywords only: '' (it is not), 'off', 'loading', 'unavailable' or
    'rebuilding' (the model is loaded but most threads have no vector from it yet)."""
    mode = search_mode()
    if mode == "hybrid":
        return ""
    if mode == "off":
        return "off"
    if service().unavailable_reason:
        return "unavailable"
    return "loading" if service().view.lexical_only else "rebuilding"


def similar_threads(user, title: str, body: str = "", limit: int = 5, exclude_ids=(),
                    category_id=None, mode=None, candidate_ids=None,
                    light: bool = False) -> list[SimilarHit]:
    """Threads close to the text that this user may see, closest first (``light``: each
    hit's ``thread`` is a ``ResultRow`` of columns, for the API, not a Thread object)."""
    if not enabled() or not (title or body).strip():
        return []
    view = service().current()
    exclude = set(exclude_ids)
    k = min(max(limit * 4, 20) + len(exclude), MAX_CANDIDATES)
    while True:
        hits = view.similar(title, body, k=k, mode=mode, candidate_ids=candidate_ids)
        wanted = [h for h in hits if h.thread_id not in exclude]
        ranked = visible_ranked(user, wanted, category_id=category_id)
        if len(ranked) >= limit or len(hits) < k or k >= MAX_CANDIDATES:
            return (load_rows if light else load_hits)(ranked[:limit])
        k = min(k * 4, MAX_CANDIDATES)


def search_threads(user, q: str, filters: SearchFilters | None = None, page: int = 1,
                   per_page: int = 20, sort: str = "relevance", light: bool = False) -> SearchPage:
    """A page of threads matching a query by meaning or keyword, filtered per user.

    Without a query it is a filtered listing from the database (no index needed).
    """
    filters = filters or SearchFilters()
    q = (q or "").strip()
    if not q:
        return _listing(user, filters, page, per_page)
    if not enabled():
        return SearchPage([], 0, page, per_page, "off")
    view = service().current()
    hits = [h for h in view.similar(q, "", k=SEARCH_DEPTH)
            if (h.lexical or 0) > 0 or (h.dense is not None and h.dense >= MIN_DENSE)]
    ranked = visible_ranked(user, hits, filters=filters)
    if sort == "newest":
        ranked.sort(key=lambda r: r.created_at, reverse=True)
    start = (page - 1) * per_page
    shown = (load_rows if light else load_hits)(ranked[start:start + per_page])
    return SearchPage(shown, len(ranked), page, per_page,
                      "hybrid" if view.by_meaning else "lexical")


def _listing(user, filters, page, per_page) -> SearchPage:
    stmt = filters.apply(permissions.visible_threads(user))
    total = db.session.scalar(stmt.with_only_columns(func.count(Thread.id)))
    rows = db.session.scalars(_preloaded(stmt.order_by(Thread.created_at.desc()))
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return SearchPage([SimilarHit(t, 0.0) for t in rows], total, page, per_page, search_mode())


@dataclass(frozen=True)
class Ranked:
    """A visible hit before its row is loaded: what ordering needs, nothing more."""

    hit: object
    created_at: datetime
    featured: bool

    @property
    def rank_score(self) -> float:
        """The fused score, plus the featured practices' tie-break bonus."""
        return self.hit.score + (FEATURED_BONUS if self.featured else 0.0)


def visible_ranked(user, hits, category_id=None, filters: SearchFilters | None = None) -> list[Ranked]:
    """The hits this user may see, in rank order (featured practices win ties), as ids and the
    two columns ordering needs: the over-fetched candidates never become ORM objects."""
    found: dict[int, tuple] = {}
    ids = [h.thread_id for h in hits]
    build = _ranked_statement if category_id is None else _ranked_in_statement
    if filters is None:  # suggestions and related threads: one statement per visibility
        stmt = permissions.prepared(user, build.__name__, build)
    else:  # the search page's filters carry their values: built for this request
        stmt = filters.apply(build(user))
    params = {} if category_id is None else {"category_id": category_id}
    for start in range(0, len(ids), IN_CHUNK):
        rows = db.session.execute(stmt, {**params, "ids": ids[start:start + IN_CHUNK]})
        found.update((row[0], row[1:]) for row in rows)
    ranked = [Ranked(h, *found[h.thread_id]) for h in hits if h.thread_id in found]
    # Stable sort: a featured practice moves up only past a hit that is as close.
    ranked.sort(key=lambda r: -r.rank_score)
    return ranked


def _ranked_statement(user):
    """visible_ranked's statement for one visibility: ids (and a category) bound at execution."""
    featured = exists().where(FeaturedPractice.thread_id == Thread.id)
    return (permissions.visible_threads(user)
            .where(Thread.id.in_(bindparam("ids", expanding=True)))
            .with_only_columns(Thread.id, Thread.created_at, featured))


def _ranked_in_statement(user):
    """As _ranked_statement, within one category (bound as ``category_id``)."""
    return _ranked_statement(user).where(Thread.category_id == bindparam("category_id"))


def load_hits(ranked: list[Ranked]) -> list[SimilarHit]:
    """The rows of the hits to show, in their order, everything a result line needs preloaded."""
    ids = [r.hit.thread_id for r in ranked]
    rows: dict[int, Thread] = {}
    for start in range(0, len(ids), IN_CHUNK):
        stmt = select(Thread).where(Thread.id.in_(ids[start:start + IN_CHUNK]))
        rows.update((t.id, t) for t in db.session.scalars(_preloaded(stmt)))
    return [SimilarHit(rows[r.hit.thread_id], closeness(r.hit), r.hit.score)
            for r in ranked if r.hit.thread_id in rows]


@dataclass(frozen=True)
class CategoryRef:
    """A result's category: the two columns a result line shows."""

    name: str
    slug: str


@dataclass(frozen=True)
class OpeningRef:
    """The start of a result's opening post (enough for a snippet) and whether it shows."""

    body: str
    is_hidden: bool = False
    is_deleted: bool = False


@dataclass(frozen=True)
class ResultRow:
    """What an API result line shows, read as columns in one statement (no ORM objects)."""

    id: int
    title: str
    kind: str
    status: str
    country: str
    external_id: str | None
    reply_count: int
    created_at: datetime
    category: CategoryRef
    featured: bool
    opening: OpeningRef | None


def load_rows(ranked: list[Ranked]) -> list[SimilarHit]:
    """The hits to show as ``ResultRow``s, in their order: one statement per id chunk, with the
    category, the featured flag and the opening post's first characters joined in."""
    ids = [r.hit.thread_id for r in ranked]
    rows: dict[int, ResultRow] = {}
    for start in range(0, len(ids), IN_CHUNK):
        for r in db.session.execute(_ROWS, {"ids": ids[start:start + IN_CHUNK]}):
            rows[r[0]] = ResultRow(*r[:8], CategoryRef(r[8], r[9]), bool(r[10]),
                                   OpeningRef(r[11], bool(r[12]), r[13] is not None)
                                   if r[11] is not None else None)
    return [SimilarHit(rows[r.hit.thread_id], closeness(r.hit), r.hit.score)
            for r in ranked if r.hit.thread_id in rows]


def _rows_statement():
    """load_rows' statement, built once (the ids are bound at execution)."""
    opening = aliased(Post)
    featured = exists().where(FeaturedPractice.thread_id == Thread.id)
    return (select(Thread.id, Thread.title, Thread.kind, Thread.status, Thread.country,
                   Thread.external_id, Thread.reply_count, Thread.created_at, Category.name,
                   Category.slug, featured, func.substr(opening.body, 1, SNIPPET_SOURCE),
                   opening.is_hidden, opening.deleted_at)
            .join(Category, Category.id == Thread.category_id)
            .outerjoin(opening, (opening.thread_id == Thread.id) & opening.is_opening.is_(True))
            .where(Thread.id.in_(bindparam("ids", expanding=True))))


_ROWS = _rows_statement()


def _preloaded(stmt):
    """Everything a result line shows, in a fixed number of queries (no N+1)."""
    return stmt.options(selectinload(Thread.category), selectinload(Thread.tags),
                        selectinload(Thread.featured), selectinload(Thread.opening),
                        selectinload(Thread.experience))


def closeness(hit) -> float:
    """A score in [0, 1] a person can read: cosine similarity when the model ran."""
    if hit.dense is not None:
        return round(max(0.0, min(1.0, float(hit.dense))), 3)
    return round(min(1.0, float(hit.lexical or 0.0) / 20.0), 3)


def closeness_label(score: float) -> str:
    """Plain words for how close a suggestion is."""
    if score >= 0.75:
        return "Very close"
    if score >= 0.6:
        return "Close"
    if score >= 0.45:
        return "Related"
    return "Loosely related"
