"""SearchEngine: hybrid (dense + BM25) "similar threads" retrieval over thread ids, in memory.

The mutable form for libraries, tests and benchmarks: ``upsert`` and ``remove``
change a ``VectorIndex`` and a ``BM25Index`` in place, and ``similar`` ranks
through a ``search.ranking.EngineView`` of them (the same ranking the forum's
immutable snapshots use).

The database stays the truth: the caller upserts threads as they change, may
store each field's vector with its text digest (``embed_threads``) and hand it
back later, and filters the returned ids by permission (so ask for more than
you show).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from search.embedder import Embedder
from search.index import VectorIndex
from search.lexical import BM25Index
from search.ranking import (  # noqa: F401 - re-exported: the engine's public names
    MODES, EngineConfig, EngineView, FieldVector, Hit, QueryEncoder, StoredVectors, thread_vector,
)
from search.text import ThreadDoc, lexical_text, text_digest, thread_texts


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
        self._queries = QueryEncoder(embedder, self.config) if embedder is not None else None

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
        return embed_threads(self.embedder, docs, stored)

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

    def view(self) -> EngineView:
        """The ranking view over this engine's (mutable, self-locking) indexes."""
        return EngineView(self.config, self.lexical, self.dense, self._queries)

    def similar(
        self,
        title: str,
        body: str = "",
        k: int = 10,
        candidate_ids: Iterable[int] | None = None,
        mode: str | None = None,
    ) -> list[Hit]:
        """Rank threads similar to a question (see ``EngineView.similar``)."""
        return self.view().similar(title, body, k, candidate_ids, mode)

    def _thread_vector(self, fields: Mapping[str, FieldVector | np.ndarray]) -> np.ndarray:
        """Combine a thread's field vectors into its single index vector."""
        return thread_vector(fields, self.config)

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


def embed_threads(
    embedder: Embedder, docs: Sequence[ThreadDoc], stored: Sequence[StoredVectors | None] | None = None
) -> list[dict[str, FieldVector]]:
    """Each thread's field texts and vectors, encoding only text whose digest changed.

    Args:
        embedder: The model.
        docs: Threads.
        stored: Per thread, ``{field: (digest, vector)}`` kept from before (None = nothing).

    Returns:
        Per thread, ``{field: FieldVector}``.
    """
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
    vectors = embedder.encode([text for _, _, text, _ in pending]) if pending else []
    for (fields, name, text, digest), vector in zip(pending, vectors):
        fields[name] = FieldVector(name, text, digest, vector)
    return out
