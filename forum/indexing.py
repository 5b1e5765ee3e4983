"""The one seam between forum and search: keeps the index in step with the database.

The database is the truth. Every flush that touches a thread appends an
IndexChange row in the same transaction (so a rollback leaves no trace); after
the commit the in-process index applies the changes at once, and any other
worker process replays the same log before it answers a query. The vector
index file is derived state saved with the last change it reflects.

Public interface:
- similar_threads(user, title, body, limit, ...) -> list[SimilarHit]
- search_threads(user, q, filters, page, per_page, sort) -> SearchPage
- get_service(app=None) -> IndexService (status, reindex, verify)
- touch(thread_ids): record a change made outside the ORM unit of work (bulk updates)
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from .extensions import db
from .models import Category, FeaturedPractice, IndexChange, Post, Thread

log = logging.getLogger(__name__)



@dataclass
class SimilarHit:
    """A thread found close to a text, with its closeness in [0, 1]."""

    thread: Thread
    score: float
    rank_score: float = 0.0


@dataclass
class SearchPage:
    """One page of search results and how many there are in all."""

    hits: list[SimilarHit]
    total: int
    page: int
    per_page: int
    lexical_only: bool


# ---------------------------------------------------------------- session events
def _touched_thread_ids(session: Session) -> set[int]:
    """Thread ids whose indexed text or visibility this flush changes."""
    ids: set[int] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Thread) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, (Post, FeaturedPractice)) and obj.thread_id is not None:
            ids.add(obj.thread_id)
        elif isinstance(obj, Category) and obj.id is not None and obj in session.dirty:
            ids.update(session.scalars(select(Thread.id).where(Thread.category_id == obj.id)))
    return ids


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    """Append the touched threads to the change log inside the same transaction."""
    if session.info.get("indexing_disabled"):
        return
    ids = _touched_thread_ids(session)
    if ids:
        session.connection().execute(insert(IndexChange), [{"thread_id": i} for i in sorted(ids)])
        session.info["index_dirty"] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    """Apply the committed changes to this process's index right away."""
    if not session.info.pop("index_dirty", False) or not has_app_context():
        return
    service = current_app.extensions.get("search_index")
    if service is not None and service.started:
        service.request_catch_up()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    """A rollback reaches nothing: the change rows went with the transaction."""
    session.info.pop("index_dirty", None)


def touch(thread_ids) -> None:
    """Record changes made with bulk statements, which bypass the flush events."""
    ids = sorted(set(thread_ids))
    if ids:
        db.session.execute(insert(IndexChange), [{"thread_id": i} for i in ids])
        db.session.info["index_dirty"] = True


# ---------------------------------------------------------------- app wiring
def init_app(app) -> None:
    """Create the app's index service; it starts lazily on first use."""
    from .search_service import IndexService
    from . import search_cli

    app.extensions["search_index"] = IndexService(app)
    search_cli.init_app(app)
    if app.config.get("SEARCH_WARMUP"):
        # Load the model and the index before the first visitor types a question.
        threading.Thread(target=_warm_up, args=(app,), daemon=True).start()


def _warm_up(app) -> None:
    with app.app_context():
        try:
            get_service(app).engine_ready()
        except Exception:  # the forum works without search; the first query retries
            log.exception("Search warm-up failed")
        finally:
            db.session.remove()


def get_service(app=None):
    """The IndexService of the app (the current one by default)."""
    return (app or current_app).extensions["search_index"]


# ---------------------------------------------------------------- queries
def similar_threads(user, title: str, body: str = "", limit: int = 5, exclude_ids=(),
                    category_id=None, mode=None, candidate_ids=None) -> list[SimilarHit]:
    """Threads close to the text that this user may see, closest first.

    Over-fetches and filters per user after retrieval, widening the fetch until
    enough visible threads are found or the index is exhausted.
    """
    from .finder import visible_in_order

    service = get_service()
    if not current_app.config.get("SEARCH_ENABLED", True) or not (title or body).strip():
        return []
    engine = service.engine_ready()
    exclude = set(exclude_ids)
    k = max(limit * 4, 20) + len(exclude)
    while True:
        hits = engine.similar(title, body, k=k, mode=mode, candidate_ids=candidate_ids)
        wanted = [h for h in hits if h.thread_id not in exclude]
        found = visible_in_order(user, wanted, category_id=category_id)
        if len(found) >= limit or len(hits) < k:
            return found[:limit]
        k *= 4


def search_threads(user, q: str, filters=None, page: int = 1, per_page: int = 20,
                   sort: str = "relevance") -> SearchPage:
    """A page of threads matching a query by meaning or keyword, filtered per user."""
    from .finder import search_page

    return search_page(get_service(), user, q, filters or {}, page, per_page, sort)


def index_path(app) -> str:
    """Where the vector index lives (SEARCH_INDEX_DIR, default <instance>/search)."""
    return app.config.get("SEARCH_INDEX_DIR") or os.path.join(app.instance_path, "search")


class Throttle:
    """Lets an action run at most once per interval (saving the index file)."""

    def __init__(self, seconds: float):
        self.seconds, self.last, self.lock = seconds, 0.0, threading.Lock()

    def ready(self) -> bool:
        """True (and resets) when the interval has passed."""
        with self.lock:
            now = time.monotonic()
            if now - self.last >= self.seconds:
                self.last = now
                return True
            return False
