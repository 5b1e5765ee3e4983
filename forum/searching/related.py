"""Related threads from a thread's stored vectors: a thread page never runs the model (issue 9).

The query is the thread's stored "main" and "title" vectors (thread_embeddings), combined
as a question with that title and body would be, so the list is (all but) the one encoding
the thread would give (the stored text also carries the tags); a thread not embedded yet falls back to its vector in the index, or
to keywords. The ranking is kept per process for the current index state; permission
filtering runs per user on every call, through the same query as every other result
(queries.visible_ranked, then the result lines as columns: queries.load_rows).
"""
from __future__ import annotations

import threading
import weakref
from typing import Callable

from cachetools import LRUCache

from search.ranking import query_vector

from ..extensions import db
from .queries import SimilarHit, enabled, load_rows, service, visible_ranked
from .worker import stored_vectors

CACHE_SIZE = 1024  # rankings of recently viewed threads, per process
MAX_CANDIDATES = 2000

# Per service (so per app: tests build many), each an LRU of rankings.
_rankings: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def view_version() -> tuple:
    """What identifies the index state answers come from (changes when the index does)."""
    if not enabled():
        return ("off",)
    svc = service()
    svc.current()  # inline mode catches up first
    return (svc.applied_seq, svc._lexical_at, svc.search_mode)


def related_threads(user, thread_id: int, words: Callable[[], str], limit: int = 5
                    ) -> list[SimilarHit]:
    """Threads close to a stored thread that this user may see, closest first, never itself.

    ``words`` gives the thread's title and readable body for the keyword side; it is only
    called when the ranking is not kept already.
    """
    if not enabled():
        return []
    k = max(limit * 4, 20)
    while True:
        hits = [h for h in _ranking(thread_id, words, k + 1) if h.thread_id != thread_id]
        found = load_rows(visible_ranked(user, hits))  # result lines as columns, no ORM rows
        if len(found) >= limit or len(hits) < k or k >= MAX_CANDIDATES:
            return found[:limit]
        k = min(k * 4, MAX_CANDIDATES)


def _ranking(thread_id: int, words: Callable[[], str], k: int) -> list:
    key = (view_version(), thread_id, k)
    with _lock:
        kept = _rankings.setdefault(service(), LRUCache(CACHE_SIZE))
        if key in kept:
            return kept[key]
    view = service().current()
    hits = view.similar_to(_vector(view, thread_id), words(), k=k)
    with _lock:
        kept[key] = hits
    return hits


def _vector(view, thread_id: int):
    """The thread as a question, from its stored field vectors; None: keywords only."""
    svc = service()
    if view.dense is None or svc.embedder is None:
        return None
    stored = stored_vectors(db.session, [thread_id], svc.embedder.model_id).get(thread_id, {})
    fields = {name: vector for name, (_, vector) in stored.items()}
    if "main" in fields:
        return query_vector(fields, svc.config)
    if thread_id in view.dense:  # stored under another recipe: the index's vector is close
        return view.dense.vectors([thread_id])[0]
    return None  # not embedded yet: keywords until the worker has run
