"""Read caches for the busiest pages (issue 9): correct first, then fast.

- ``content_generation()``: a counter in the database that every commit changing shown
  content moves on, in the same transaction (the session events below); read once per
  request. Anything cached is keyed by it, so a write is visible to everyone at once.
- ``remember(name, user, compute)``: derived lists (filter choices, the category sidebar)
  kept per process for a short while, keyed by the generation and the user's visibility.
- ``guest_page``: whole pages for guests, per process, keyed by URL, generation and the
  search view (related threads and results follow the index), for PAGE_CACHE_SECONDS.

Security note: only a guest with an empty session is served or stores a cached page; a
page that put anything in the session (a CSRF token, a flash) is never stored, and
members are never served one, so a page can only reach readers with the same visibility.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from functools import wraps
from itertools import chain

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from .. import permissions
from ..extensions import db
from ..models import ContentGeneration

CHANGED = "content_changed"
# Tables no guest page shows: writing them leaves cached pages valid. Everything else
# (including tables added later) moves the generation on, so a forgotten table costs
# cache hits, never correctness.
UNSHOWN_TABLES = frozenset({
    "content_generation", "thread_reads", "notifications", "notification_prefs",
    "digest_subscriptions", "watches", "mail_outbox", "search_queue", "search_documents",
    "search_state", "thread_embeddings", "suggestion_events", "suggestion_daily",
    "suggestion_opt_outs", "bookmarks", "flags", "followups", "alembic_version",
    "login_sessions", "api_tokens", "site_state",
})
DEFAULT_DATA_SECONDS = 60


class _Store:
    """A small LRU of (stored_at, value), safe across the threads of one process."""

    def __init__(self, size: int) -> None:
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key, max_age: float):
        """The value stored under key less than max_age seconds ago, or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None or time.monotonic() - found[0] > max_age:
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key, value) -> None:
        """Store value under key, dropping the least recently used past the size."""
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def init_app(app) -> None:
    """Give the app its own stores (several apps may share a process in tests)."""
    app.extensions["read_cache"] = {"pages": _Store(512), "data": _Store(256)}


# ------------------------------------------------------------------ the generation
def content_generation() -> int:
    """The current content generation (read once per request)."""
    if "content_generation" not in g:
        g.content_generation = db.session.scalar(
            select(ContentGeneration.value).where(ContentGeneration.id == 1)) or 0
    return g.content_generation


def _shown(obj) -> bool:
    table = getattr(obj, "__tablename__", None)
    return table is None or table not in UNSHOWN_TABLES


@event.listens_for(Session, "after_flush")
def _note_flush(session, _context) -> None:
    if any(_shown(o) for o in chain(session.new, session.dirty, session.deleted)):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    """Bulk INSERT/UPDATE/DELETE statements do not flush objects: note them here."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) not in UNSHOWN_TABLES:
            state.session.info[CHANGED] = True


@event.listens_for(Session, "before_commit")
def _move_generation_on(session) -> None:
    """In the committing transaction itself, so no reader sees the change without it."""
    pending = any(_shown(o) for o in chain(session.new, session.dirty, session.deleted))
    if not (session.info.pop(CHANGED, False) or pending):
        return
    table = ContentGeneration.__table__
    moved = session.execute(update(table).where(table.c.id == 1)
                            .values(value=table.c.value + 1))
    if moved.rowcount == 0:  # a database made without the row
        session.execute(insert(table).values(id=1, value=1))


@event.listens_for(Session, "after_commit")
def _forget_generation(session) -> None:
    session.info.pop(CHANGED, None)
    if has_request_context():
        g.pop("content_generation", None)  # the rest of this request sees its own write


@event.listens_for(Session, "after_rollback")
def _drop_note(session) -> None:
    session.info.pop(CHANGED, None)


# ------------------------------------------------------------------ derived data
def remember(name: str, user, compute):
    """compute() as this user's visibility saw it in this generation (a short-lived copy)."""
    store = current_app.extensions["read_cache"]["data"]
    key = (name, permissions.visibility_key(user), content_generation())
    seconds = current_app.config.get("DATA_CACHE_SECONDS", DEFAULT_DATA_SECONDS)
    found = store.get(key, seconds) if seconds else None
    if found is None:
        found = compute()
        if seconds:
            store.put(key, found)
    return found


# ------------------------------------------------------------------ guest pages
def _guest_without_session() -> bool:
    return (request.method == "GET" and not current_user.is_authenticated
            and not session)


def guest_page(view):
    """Serve guests with an empty session from a per-process page cache (see module doc)."""
    @wraps(view)
    def cached_view(*args, **kwargs):
        seconds = current_app.config.get("PAGE_CACHE_SECONDS", 0)
        if not seconds or not _guest_without_session():
            return view(*args, **kwargs)
        from .. import searching  # the search view is part of the page (related, results)
        store = current_app.extensions["read_cache"]["pages"]
        key = (request.full_path, content_generation(), searching.view_version())
        body = store.get(key, seconds)
        if body is not None:
            response = current_app.response_class(body, mimetype="text/html")
            response.headers["X-Page-Cache"] = "hit"
            return response
        response = current_app.make_response(view(*args, **kwargs))
        if (response.status_code == 200 and response.mimetype == "text/html"
                and not session.modified and not session and not response.direct_passthrough):
            store.put(key, response.get_data())
            response.headers["X-Page-Cache"] = "miss"
        return response
    return cached_view
