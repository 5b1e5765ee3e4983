"""The query side of search: rank with the engine, then filter per user in the database.

Security note: the engine knows nothing about permissions. Every result goes
through permissions.visible_threads before it reaches a page or the API, and
we over-fetch so that filtering does not empty the list (Discourse's approach).
"""
from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import selectinload

from . import permissions
from .extensions import db
from .models import Thread
from .threads.filters import SearchFilters

# Retrieval depth for the search page; hits below MIN_DENSE cosine with no keyword
# match are not counted as results (dense retrieval always returns *something*).
SEARCH_DEPTH = 1000
MIN_DENSE = 0.35
# Featured practices win ties among equally close suggestions, no more.
FEATURED_BONUS = 0.02


def visible_in_order(user, hits, category_id=None, filters: SearchFilters | None = None):
    """Keep the hits this user may see, in rank order, with their Thread rows."""
    from .indexing import SimilarHit

    if not hits:
        return []
    stmt = permissions.visible_threads(user).where(Thread.id.in_([h.thread_id for h in hits]))
    if category_id is not None:
        stmt = stmt.where(Thread.category_id == category_id)
    if filters is not None:
        stmt = filters.apply(stmt)
    rows = {t.id: t for t in db.session.scalars(stmt.options(
        selectinload(Thread.category), selectinload(Thread.tags),
        selectinload(Thread.featured)))}
    found = [SimilarHit(rows[h.thread_id], closeness(h), h.score)
             for h in hits if h.thread_id in rows]
    # Stable sort: a featured practice moves up only past a hit that is as close.
    found.sort(key=lambda s: -(s.rank_score + (FEATURED_BONUS if s.thread.featured else 0)))
    return found


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


def search_page(service, user, q, filters: SearchFilters, page, per_page, sort):
    """Rank the whole index for q, keep what the user may see and the filters allow."""
    from .indexing import SearchPage, SimilarHit

    engine = service.engine_ready()
    q = (q or "").strip()
    if not q:
        stmt = filters.apply(permissions.visible_threads(user))
        total = db.session.scalar(stmt.with_only_columns(func.count(Thread.id)))
        stmt = stmt.order_by(Thread.created_at.desc())
        rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
        return SearchPage([SimilarHit(t, 0.0) for t in rows], total, page, per_page,
                          engine.lexical_only)
    hits = [h for h in engine.similar(q, "", k=SEARCH_DEPTH)
            if (h.lexical or 0) > 0 or (h.dense is not None and h.dense >= MIN_DENSE)]
    found = visible_in_order(user, hits, filters=filters)
    if sort == "newest":
        found.sort(key=lambda s: s.thread.created_at, reverse=True)
    start = (page - 1) * per_page
    return SearchPage(found[start:start + per_page], len(found), page, per_page,
                      engine.lexical_only)
