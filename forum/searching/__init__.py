"""The one seam between the forum and the search library: views and services call only this.

Public functions:
- similar_threads(user, title, body="", limit=5, exclude_ids=(), category_id=None, ...)
  -> [SimilarHit(thread, score, rank_score)]: threads the user may see, closest first
- search_threads(user, q, filters, page, per_page, sort) -> SearchPage
- embed_texts(texts) -> float32 (n, dim) L2-normalised, or None when the model is unavailable
- search_mode() -> "hybrid" | "lexical"
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..indexing import SearchPage, SimilarHit, get_service, search_threads, similar_threads

__all__ = ["SearchPage", "SimilarHit", "embed_texts", "search_mode", "search_threads",
           "similar_threads"]


def embed_texts(texts: list[str]) -> Optional[np.ndarray]:
    """Sentence embeddings from the forum's model, or None when it cannot load."""
    embedder = get_service().engine_ready().embedder
    return embedder.encode(list(texts)) if embedder is not None else None


def search_mode() -> str:
    """'hybrid' when the meaning model runs, 'lexical' when search is by keywords only."""
    engine = get_service().engine
    return "lexical" if engine is None or engine.lexical_only else "hybrid"
