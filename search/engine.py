"""SearchEngine: hybrid (dense + BM25) "similar threads" retrieval over thread ids.

The engine holds derived, in-memory state only: a ``VectorIndex`` with one
vector per thread and a ``BM25Index``. The database stays the truth: the
caller upserts threads as they change, may store each field's vector with its
text digest (``embed_threads``) and hand it back on the next start, and
filters the returned ids by permission (so ask for more than you show).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from search import fusion, titles
from search.embedder import Embedder
from search.index import VectorIndex
from search.lexical import BM25Index
from search.text import RECIPE_VERSION, ThreadDoc, lexical_text, query_texts, text_digest, thread_texts

MODES = ("dense", "lexical", "hybrid")
QUERY_CACHE_SIZE = 512  # recent query vectors: re-asked while typing, paging or evaluating modes


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


class SearchEngine:
    """Dense + lexical indexes for threads, queried by ``similar``."""

    def __init__(self, embedder: Embedder | None, config: EngineConfig | None = None) -> None:
        """Create empty indexes.

        Args:
            embedder: The sentence embedder, or None for lexical-only search
                (e.g. when ``EmbedderUnavailable`` was raised).
            config: Ranking settings.
        """
        self.embedder = embedder
        self.config = config or EngineConfig()
        self.lexical = BM25Index()
        self.dense: VectorIndex | None = None
        if embedder is not None:
            self.dense = VectorIndex(embedder.dim, approx_threshold=self.config.approx_threshold)
        self._lock = threading.RLock()
        self._query_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    @property
    def lexical_only(self) -> bool:
        """True when no embedder is available and every search is BM25 only."""
        return self.embedder is None

    @property
    def index_model_id(self) -> str | None:
        """Model id to record in (and demand from) a saved vector index manifest."""
        return f"{self.embedder.model_id}+{self.config.signature()}" if self.embedder else None

    def embed_threads(
        self, docs: Sequence[ThreadDoc], stored: Sequence[StoredVectors | None] | None = None
    ) -> list[dict[str, FieldVector]]:
        """Return each thread's field texts and vectors, encoding only changed text.

        Args:
            docs: Threads.
            stored: Per thread, the ``{field: (digest, vector)}`` kept from a
                previous call (None or missing = nothing stored). A vector is
                reused when its digest equals the digest of the current text.

        Returns:
            Per thread, ``{field: FieldVector}`` to store and to pass to ``upsert``.
        """
        if self.embedder is None:
            raise RuntimeError("no embedder: lexical-only engines do not embed")
        stored = list(stored or []) + [None] * (len(docs) - len(stored or []))
        out: list[dict[str, FieldVector]] = []
        pending: list[tuple[dict[str, FieldVector], str, str, str]] = []
        for doc, kept in zip(docs, stored):
            fields: dict[str, FieldVector] = {}
            for name, text in thread_texts(doc).items():
                digest = text_digest(text)
                previous = (kept or {}).get(name)
                if previous is not None and previous[0] == digest:
                    fields[name] = FieldVector(name, text, digest, np.asarray(previous[1], np.float32))
                else:
                    pending.append((fields, name, text, digest))
            out.append(fields)
        vectors = self.embedder.encode([text for _, _, text, _ in pending]) if pending else []
        for (fields, name, text, digest), vector in zip(pending, vectors):
            fields[name] = FieldVector(name, text, digest, vector)
        return out

    def upsert(
        self,
        doc: ThreadDoc,
        vectors: Mapping[str, FieldVector | np.ndarray] | None = None,
        *,
        dense: bool = True,
    ) -> None:
        """Index (or re-index) one thread.

        Args:
            doc: The thread.
            vectors: Its field vectors from ``embed_threads`` (or plain arrays by
                field); encoded now when None.
            dense: False updates only the lexical index (e.g. the vector index
                was just loaded from disk and is known to be current).
        """
        self.upsert_many([doc], [vectors] if vectors is not None else None, dense=dense)

    def upsert_many(
        self,
        docs: Sequence[ThreadDoc],
        vectors: Sequence[Mapping | None] | None = None,
        *,
        dense: bool = True,
    ) -> None:
        """Index many threads, encoding the missing vectors in one batch.

        Args:
            docs: Threads.
            vectors: Per thread, field vectors as accepted by ``upsert`` (or None).
            dense: As in ``upsert``.
        """
        given = list(vectors or []) + [None] * (len(docs) - len(vectors or []))
        # Encode before taking the lock: searches must not wait for the model.
        matrix = self._thread_vectors(docs, given) if dense and self.dense is not None and docs else None
        with self._lock:
            for doc in docs:
                self.lexical.upsert(doc.thread_id, lexical_text(doc))
            if matrix is not None:
                self.dense.upsert([d.thread_id for d in docs], matrix)

    def _thread_vectors(self, docs: Sequence[ThreadDoc], given: list[Mapping | None]) -> np.ndarray:
        """One index vector per thread, from the given field vectors or freshly encoded."""
        fields = [_usable_fields(doc, g) for doc, g in zip(docs, given)]
        missing = [i for i, f in enumerate(fields) if f is None]
        for i, encoded in zip(missing, self.embed_threads([docs[i] for i in missing])):
            fields[i] = encoded
        return np.stack([self._thread_vector(f) for f in fields])

    def remove(self, thread_id: int) -> None:
        """Drop a thread from both indexes (no-op when absent)."""
        with self._lock:
            self.lexical.remove(thread_id)
            if self.dense is not None:
                self.dense.remove([thread_id])

    def __len__(self) -> int:
        """Number of threads in the lexical index (every indexed thread is there)."""
        return len(self.lexical)

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
                lexical-only engine always answers in "lexical".

        Returns:
            Up to ``k`` hits, best first.
        """
        mode = "lexical" if self.lexical_only else (mode or self.config.mode)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        words = f"{title} {body}"
        qvec = self._query_vector(title, body) if mode != "lexical" else None
        with self._lock:
            pool = self._pool(words, qvec, k, mode, candidate_ids)
            dense = self.dense.score(qvec, pool) if qvec is not None else {}
            lexical = self.lexical.score(words, pool) if mode != "dense" else {}
        return self._rank(pool, dense, lexical, mode, k)

    def _query_vector(self, title: str, body: str) -> np.ndarray:
        """Embed a question as the thread vectors are built (text plus title), with an LRU cache."""
        key = (title, body)
        with self._lock:
            if key in self._query_cache:
                self._query_cache.move_to_end(key)
                return self._query_cache[key]
        vector = self._encode_query(title, body)
        with self._lock:
            self._query_cache[key] = vector
            if len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return vector

    def _encode_query(self, title: str, body: str) -> np.ndarray:
        """Encode the query's text and title and combine them like a thread's fields."""
        texts = query_texts(title, body)
        vectors = dict(zip(texts, self.embedder.encode(list(texts.values()))))
        weights = titles.weights_for(vectors, {"main": 1.0, "title": self.config.query_title_weight})
        return fusion.combine_vectors(vectors, weights)

    def _pool(
        self, words: str, qvec: np.ndarray | None, k: int, mode: str, candidate_ids: Iterable[int] | None
    ) -> list[int]:
        """Candidates to score: the given ids, or the union of each retriever's top."""
        if candidate_ids is not None:
            return [
                i
                for i in dict.fromkeys(candidate_ids)
                if i in self.lexical or (self.dense and i in self.dense)
            ]
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

    def _thread_vector(self, fields: Mapping[str, FieldVector | np.ndarray]) -> np.ndarray:
        """Combine a thread's field vectors into its single index vector."""
        arrays = {name: (v.vector if isinstance(v, FieldVector) else v) for name, v in fields.items()}
        return fusion.combine_vectors(arrays, titles.weights_for(arrays, self.config.field_weights))

    def save(self, directory, **manifest_fields) -> None:
        """Persist the vector index (see ``VectorIndex.save``); extra fields go in the manifest."""
        if self.dense is None:
            raise RuntimeError("no vector index to save in a lexical-only engine")
        with self._lock:
            self.dense.save(directory, {**manifest_fields, "model_id": self.index_model_id})

    def load(self, directory) -> dict | None:
        """Replace the vector index with a saved one if it matches; return its manifest or None."""
        if self.dense is None:
            return None
        loaded = VectorIndex.load(
            directory, self.index_model_id, self.embedder.dim, approx_threshold=self.config.approx_threshold
        )
        if loaded is None:
            return None
        with self._lock:
            self.dense, manifest = loaded
        return manifest


def _usable_fields(doc: ThreadDoc, given: Mapping | None) -> Mapping | None:
    """The given field vectors restricted to the thread's current fields, or None if any is
    missing or (for a ``FieldVector``) was embedded from different text."""
    if given is None:
        return None
    texts = thread_texts(doc)
    for name, text in texts.items():
        vector = given.get(name)
        if vector is None or (isinstance(vector, FieldVector) and vector.digest != text_digest(text)):
            return None
    return {name: given[name] for name in texts}
