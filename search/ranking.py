"""Ranking: the configuration, query encoding and the lock-free ``EngineView``.

Everything a query needs and nothing that changes an index. ``EngineView`` is
one immutable state of a dense and a lexical index; it answers ``similar``
without taking any lock, so an application can build the next view beside it
and swap a reference (the forum does, with ``search.segments.VectorSnapshot``
and ``search.fulltext.FullTextReader``). ``search.engine.SearchEngine`` ranks
through the same view over its mutable in-memory indexes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from cachetools import LRUCache

from search import fusion, titles
from search.embedder import Embedder
from search.text import RECIPE_VERSION, query_texts

MODES = ("dense", "lexical", "hybrid")
QUERY_CACHE_SIZE = 1024  # recent query texts (titles, title + body): re-asked while typing or paging


@dataclass(frozen=True)
class EngineConfig:
    """Ranking settings; defaults are the ones measured in benchmarks/README.md."""

    mode: str = "hybrid"
    # Weights of the per-field vectors (search.text.thread_texts) summed into the thread vector.
    field_weights: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({"main": 1.0, "replies": 1.0, "title": 0.75})
    )
    query_title_weight: float = 0.75  # the query's title vector, added like the thread's
    lexical_weight: float = 0.15  # share of the z-scored BM25 score in hybrid mode
    pool_size: int = 100  # candidates taken from each retriever before fusion
    # A query reads its first 128 word pieces (threads: the model's 256). Measured on both
    # splits: no change on dev, +0.06 MAP on train; a long draft encodes ~1/3 faster (issue 9).
    query_max_tokens: int = 128
    approx_threshold: int = 20_000  # VectorIndex switches to IVF above this

    def signature(self) -> str:
        """Identify what the stored thread vectors depend on (recipe + field weights)."""
        weights = ",".join(f"{k}={v:g}" for k, v in sorted(self.field_weights.items()) if v)
        return f"{RECIPE_VERSION}[{weights}]"


@dataclass(frozen=True)
class Hit:
    """One ranked thread: fused score plus the raw dense and lexical scores (None if unused)."""

    thread_id: int
    score: float
    dense: float | None
    lexical: float | None


@dataclass(frozen=True)
class FieldVector:
    """An embedded field of a thread, as the forum stores it next to the thread."""

    field: str
    text: str
    digest: str
    vector: np.ndarray


# What the caller may hand back from its database: {field: (text digest, vector)}.
StoredVectors = Mapping[str, tuple[str, np.ndarray]]


def thread_vector(fields: Mapping[str, FieldVector | np.ndarray], config: EngineConfig) -> np.ndarray:
    """Combine a thread's field vectors into its single index vector.

    Args:
        fields: ``{field: FieldVector or array}`` from ``embed_threads`` or storage.
        config: Supplies the field weights.

    Returns:
        The L2-normalised thread vector.
    """
    arrays = {name: (v.vector if isinstance(v, FieldVector) else v) for name, v in fields.items()}
    return fusion.combine_vectors(arrays, titles.weights_for(arrays, config.field_weights))


def query_vector(fields: Mapping[str, np.ndarray], config: EngineConfig) -> np.ndarray:
    """Combine a thread's stored "main" and "title" vectors as ``QueryEncoder`` combines a question's.

    Args:
        fields: ``{field: vector}`` as stored for a thread (other fields are ignored).
        config: Supplies the query's title weight.

    Returns:
        The L2-normalised vector a question with this thread's title and body would get.
    """
    vectors = {name: fields[name] for name in ("main", "title") if name in fields}
    weights = titles.weights_for(vectors, {"main": 1.0, "title": config.query_title_weight})
    return fusion.combine_vectors(vectors, weights)


class QueryEncoder:
    """Embeds questions as thread vectors are built, with a small LRU cache of texts.

    The cache holds each encoded text (a draft's title, its title and body), not each
    draft: while a member types the body in the composer the title stays the same, so
    every suggestion request after the first encodes one text instead of two.
    The lock guards only the cache dictionary, never the model: a query never
    waits for another query's encoding, nor for a writer.
    """

    def __init__(self, embedder: Embedder, config: EngineConfig) -> None:
        self.embedder, self.config = embedder, config
        self._cache: LRUCache = LRUCache(QUERY_CACHE_SIZE)
        self._lock = threading.Lock()

    def __call__(self, title: str, body: str) -> np.ndarray:
        """The query vector for a title and body: its texts encoded (those not cached) in
        one call to the model and combined like a thread's fields."""
        texts = query_texts(title, body)
        unique = list(dict.fromkeys(texts.values()))
        with self._lock:
            encoded = {text: self._cache[text] for text in unique if text in self._cache}
        missing = [text for text in unique if text not in encoded]
        if missing:
            # One call to the model (issue 9): the main text and the title in one batch (the
            # encoder batches by length, so the title is not padded to the body), and a
            # single text when they coincide (a title-only draft).
            fresh = dict(zip(missing, self.embedder.encode(missing, self.config.query_max_tokens)))
            encoded.update(fresh)
            with self._lock:
                self._cache.update(fresh)
        vectors = {name: encoded[text] for name, text in texts.items()}
        weights = titles.weights_for(vectors, {"main": 1.0, "title": self.config.query_title_weight})
        return fusion.combine_vectors(vectors, weights)


def covers_enough(vectors: int, documents: int) -> bool:
    """Whether ``vectors`` threads with a vector from the model are enough to rank ``documents``
    by meaning: at least half of them (the rule of ``EngineView.by_meaning``)."""
    return 2 * vectors >= documents


@dataclass(frozen=True)
class EngineView:
    """One state of the indexes, answering ``similar`` without locks.

    ``dense`` is anything with ``search(queries, k)``, ``score(query, ids)`` and
    ``in`` (``VectorIndex``, ``VectorSnapshot``) or None when there is no model;
    ``lexical`` has ``search(text, k)``, ``score(text, ids)`` and ``in``
    (``BM25Index``, ``FullTextReader``).
    """

    config: EngineConfig
    lexical: object
    dense: object | None = None
    queries: QueryEncoder | None = None

    @property
    def lexical_only(self) -> bool:
        """True when there is no model and every search is BM25 only."""
        return self.dense is None or self.queries is None

    @property
    def by_meaning(self) -> bool:
        """True when searches use the model: it is loaded and holds vectors for at least half
        the documents the keyword side knows. After a change of model the stored vectors
        are the old model's and serve nothing; until enough are re-encoded, ranking by
        keywords alone is what happens, so it is what ``similar`` does (and says)."""
        return not self.lexical_only and covers_enough(len(self.dense), len(self.lexical))

    def similar(
        self,
        title: str,
        body: str = "",
        k: int = 10,
        candidate_ids: Iterable[int] | None = None,
        mode: str | None = None,
    ) -> list[Hit]:
        """Rank threads similar to a question.

        Args:
            title: Question title.
            body: Question body (Markdown).
            k: Number of hits; large values (over-fetch for permission
                filtering) stay cheap: each retriever scans its index once.
            candidate_ids: Restrict ranking to these thread ids (rerank mode);
                unknown ids are ignored.
            mode: "dense", "lexical" or "hybrid"; defaults to the config's. A
                lexical-only view always answers in "lexical".

        Returns:
            Up to ``k`` hits, best first.
        """
        mode = (mode or self.config.mode) if self.by_meaning else "lexical"
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        words = f"{title} {body}"
        qvec = self.queries(title, body) if mode != "lexical" else None
        pool = self._pool(words, qvec, k, mode, candidate_ids)
        dense = self.dense.score(qvec, pool) if qvec is not None else {}
        lexical = self.lexical.score(words, pool) if mode != "dense" else {}
        return self._rank(pool, dense, lexical, mode, k)

    def similar_to(self, vector: np.ndarray | None, words: str = "", k: int = 10) -> list[Hit]:
        """Rank threads similar to a vector already computed (a stored thread's), encoding nothing.

        Args:
            vector: The thread vector of shape (dim,), or None to rank by ``words`` alone.
            words: Text for the lexical side (the thread's title and body), as in ``similar``.
            k: Number of hits.

        Returns:
            Up to ``k`` hits, best first, scored like ``similar`` in the config's mode.
        """
        mode = self.config.mode if vector is not None and self.by_meaning else "lexical"
        if mode == "lexical" and not words.strip():
            return []
        vector = vector if mode != "lexical" else None
        pool = self._pool(words, vector, k, mode, None)
        dense = self.dense.score(vector, pool) if vector is not None else {}
        lexical = self.lexical.score(words, pool) if mode != "dense" else {}
        return self._rank(pool, dense, lexical, mode, k)

    def _pool(
        self, words: str, qvec: np.ndarray | None, k: int, mode: str, candidate_ids: Iterable[int] | None
    ) -> list[int]:
        """Candidates to score: the given ids, or the union of each retriever's top."""
        if candidate_ids is not None:
            wanted = list(dict.fromkeys(int(i) for i in candidate_ids))
            known = set(self.lexical.present(wanted)) if hasattr(self.lexical, "present") else {
                i for i in wanted if i in self.lexical}
            return [i for i in wanted if i in known or (self.dense is not None and i in self.dense)]
        depth = max(k, self.config.pool_size)
        pool: dict[int, None] = {}
        if qvec is not None:
            ids, _ = self.dense.search(qvec, depth)[0]
            pool.update(dict.fromkeys(ids.tolist()))
        if mode != "dense":
            pool.update(dict.fromkeys(doc for doc, _ in self.lexical.search(words, depth)))
        return list(pool)

    def _rank(
        self, pool: list[int], dense: dict[int, float], lexical: dict[int, float], mode: str, k: int
    ) -> list[Hit]:
        """Order the pool by the mode's score and build hits."""
        if mode == "dense":
            scores = dense
        elif mode == "lexical":
            scores = {i: lexical.get(i, 0.0) for i in pool}
        else:
            scores = fusion.weighted_zscore_fusion(dense, lexical, self.config.lexical_weight)
        return [
            Hit(
                i,
                float(s),
                dense.get(i) if mode != "lexical" else None,
                lexical.get(i) if mode != "dense" else None,
            )
            for i, s in fusion.top_k(scores, k)
        ]
