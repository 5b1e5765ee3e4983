"""The one seam between the forum and the search library; views and services call only this.

Layers, one direction (checked by import-linter in `make test`):
events (what changed -> search_queue) -> worker (queue -> embeddings + numbered
documents, off the request) -> service (this process's immutable view, swapped
whole; keeper of the index folder) -> queries (similar, search page, permission
filter) -> cli / evaluate.

Public functions:
- similar_threads(user, title, body="", limit=5, exclude_ids=(), category_id=None, ...)
  -> [SimilarHit(thread, score, rank_score)]: threads the user may see, closest first
- related_threads(user, thread_id, words, limit=5) -> [SimilarHit]: from the thread's stored
  vector, never encoding it; view_version() -> what identifies the index state answers use
- search_threads(user, q, filters, page, per_page, sort) -> SearchPage
- embed_texts(texts) -> float32 (n, dim) L2-normalised, or None when the model is unavailable
- search_mode() -> "hybrid" | "lexical" | "off";  search_notice() -> "" | "loading" | ...
- enqueue(session, thread_ids): queue threads changed by bulk statements (no ORM events)
- closeness_label(score) -> plain words for a suggestion's closeness
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from flask import current_app

from . import cli
from .events import enqueue, enqueue_select
from .queries import (
    SearchPage,
    SimilarHit,
    closeness_label,
    search_mode,
    search_notice,
    search_threads,
    similar_threads,
)
from .related import related_threads, view_version
from .service import SearchService

__all__ = ["SearchPage", "SimilarHit", "closeness_label", "embed_texts", "enqueue",
           "enqueue_select", "init_app", "related_threads", "search_mode", "search_notice",
           "search_threads", "similar_threads", "view_version"]


def init_app(app) -> None:
    """Create the app's search service and commands; the service starts on first use."""
    service = SearchService(app)
    app.extensions["searching"] = service
    cli.init_app(app)
    # Start the background thread with the first request, not at import or in CLI commands.
    app.before_request(service.start_background)


def embed_texts(texts: list[str]) -> Optional[np.ndarray]:
    """Sentence embeddings from the forum's model, or None when it is not (yet) available."""
    service = current_app.extensions["searching"]
    service.current()
    return service.embedder.encode(list(texts)) if service.embedder is not None else None
