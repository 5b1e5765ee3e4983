"""SearchService: one process's view of the index, replaced whole, never changed in place.

Queries read ``service.view`` (an immutable ``EngineView``) and take no lock that
anything else holds. Keeping the view current is the job of one background thread
per process (or, with ``SEARCH_WORKER = "inline"``, of the committing request:
tests and scripts): it starts the engine without blocking anyone (keyword search
from the persisted Tantivy index at once, then the model and the memory-mapped
vector base), runs the worker when its lease allows, follows the numbered
documents (``seq > applied``) into a new vector snapshot, and, in the process that
holds the folder's keeper lock, updates the keyword index and writes vector bases.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from typing import Callable, Optional

import faiss
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from search.embedder import Embedder, EmbedderUnavailable
from search.fulltext import FullTextIndex
from search.lexical import BM25Index
from search.ranking import EngineConfig, EngineView, QueryEncoder, thread_vector
from search.basefiles import LARGE_BASE, compact
from search.segments import VectorSnapshot, read_base
from search.threads import apply_threads, default_threads

from ..extensions import db
from ..models import SearchDocument
from .keeper import Keeper, current_seq, read_pointer
from .verify import repair_slice
from .worker import IndexWorker, stored_vectors

log = logging.getLogger(__name__)

COMPACT_AT = 2000      # changes outside the base before the keeper writes a new one
PAGE = 2000            # documents read per query while following

# One model per (model, digest, role) per process, shared by every app that asks: the
# worker's copy is separate so a batch being encoded never delays a query's encoding.
_EMBEDDERS: dict[tuple, Embedder | Exception] = {}
_EMBEDDERS_LOCK = threading.Lock()


def load_embedder(model: Optional[str], sha256: Optional[str], role: str = "query",
                  backend: str = "torch", threads: Optional[int] = None, cache_dir=None):
    """(embedder, "") or (None, reason) for this model, loaded once per process and role."""
    key = (model, sha256, role, backend, threads, cache_dir)
    with _EMBEDDERS_LOCK:
        if key not in _EMBEDDERS:
            try:
                _EMBEDDERS[key] = Embedder(model, expected_sha256=sha256, backend=backend,
                                           threads=threads, cache_dir=cache_dir)
                log.info("Search encoder: %s, %s thread(s)", _EMBEDDERS[key].backend, threads)
            except EmbedderUnavailable as exc:
                log.error("Embedding model unavailable, keyword search only: %s", exc)
                _EMBEDDERS[key] = exc
        found = _EMBEDDERS[key]
    return (None, str(found)) if isinstance(found, Exception) else (found, "")


def encoder_settings(cfg) -> dict:
    """SEARCH_ENCODER, SEARCH_THREADS (default: cores / workers) and SEARCH_ONNX_DIR as
    keyword arguments of ``load_embedder``."""
    return {"backend": cfg.get("SEARCH_ENCODER") or "auto",
            "threads": int(cfg.get("SEARCH_THREADS") or default_threads()),
            "cache_dir": cfg.get("SEARCH_ONNX_DIR") or None}


class SearchService:
    """The app's search engine in this process."""

    def __init__(self, app) -> None:
        cfg = app.config
        self.app = app
        self.directory = cfg["SEARCH_INDEX_DIR"]
        self.enabled = bool(cfg.get("SEARCH_ENABLED", True))
        self.mode = cfg.get("SEARCH_WORKER", "thread")  # thread | inline | off
        self.config = EngineConfig()
        self.poll = float(cfg.get("SEARCH_POLL_SECONDS", 0.5))
        self.repair_every = float(cfg.get("SEARCH_REPAIR_SECONDS", 600))
        self.large_base = int(cfg.get("SEARCH_LARGE_BASE", LARGE_BASE))
        self.view = EngineView(self.config, BM25Index())  # empty until started
        self.state = "stopped"  # stopped -> starting -> ready
        self.applied_seq = 0
        self.unavailable_reason = ""
        self.loaded_from_disk = False
        self.keeper: Optional[Keeper] = None
        self.worker: Optional[IndexWorker] = None
        self.embedder = None
        self.threads: dict[str, int] = {}  # {library: threads} as applied at start
        self._bind = None
        self._fulltext: Optional[FullTextIndex] = None
        self._lexical_at: tuple[str, int] = ("", -1)  # (folder, seq) of the reader in the view
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._step = threading.Lock()  # one maintenance step at a time (never taken by queries)
        self._last_repair = time.monotonic()
        self.repair_cursor = 0  # the background repair's place in the thread ids
        self._paused = 0

    @property
    def bind(self):
        """The app's database engine (read once: the background thread has no app context)."""
        if self._bind is None:
            with self.app.app_context():
                self._bind = db.engine
        return self._bind

    # ------------------------------------------------------------ what queries call
    def current(self) -> EngineView:
        """The view to answer from; in inline mode, caught up with the database first."""
        if self.mode == "inline":
            self.maintain()
        elif self._thread is None:
            self.start_background()
        return self.view

    @property
    def search_mode(self) -> str:
        """'hybrid', or 'lexical' while the model loads, when it cannot, or while most
        threads have no vector from it yet (after a change of model)."""
        return "hybrid" if self.view.by_meaning else "lexical"

    @contextmanager
    def paused(self):
        """Queue work without processing it (a bulk import encodes once, in batches, after)."""
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1

    def notify(self) -> None:
        """A commit queued work: process it now (inline) or wake the background thread."""
        if self._paused:
            return
        if self.mode == "inline":
            try:
                self.maintain()
            except Exception:  # the commit happened; the queue keeps the work for later
                log.exception("Inline indexing failed; the queue keeps the work")
        else:
            self._wake.set()

    # ------------------------------------------------------------ background thread
    def start_background(self) -> None:
        """Start this process's search thread (idempotent; never blocks the caller)."""
        if not self.enabled or self.mode == "inline" or self._thread is not None:
            return
        with self._step:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="search", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Stop the thread and give up the worker lease and the keeper role."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        if self.worker is not None:
            self.worker.release()
        if self.keeper is not None:
            self.keeper.release()
            self.keeper = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.maintain()
            except Exception:  # keep serving the last good view; try again shortly
                log.exception("Search maintenance failed; retrying")
                time.sleep(self.poll * 4)
            self._wake.wait(self.poll)
            self._wake.clear()

    # ------------------------------------------------------------ one maintenance step
    def settle(self, progress: Optional[Callable[[int], None]] = None,
               reencode: bool = False) -> None:
        """Bring this process up to date now: index everything queued (when this process may
        take the worker's lease) and follow every document (commands, tests, start-up)."""
        self.maintain(progress, reencode, drain=True)

    def maintain(self, progress: Optional[Callable[[int], None]] = None,
                 reencode: bool = False, drain: Optional[bool] = None) -> None:
        """Start if needed, run the worker, follow new documents, keep the folder's files."""
        if not self.enabled:
            return
        drain = self.mode == "inline" if drain is None else drain
        with self._step:
            if self.state == "stopped":
                self._start()
            if self.worker is not None and self.mode != "off" and drain:
                self.worker.drain(progress, reencode)
            elif self.worker is not None and self.mode == "thread" and self.worker.run_once():
                self._wake.set()  # more may be waiting: go round again without sleeping
            self._follow()
            if self.repair_every and time.monotonic() - self._last_repair > self.repair_every:
                self._last_repair = time.monotonic()
                repair_slice(self)

    def _start(self) -> None:
        """Keyword search first (instant), then the model and the vector base."""
        self.state = "starting"
        if self.keeper is None:
            self.keeper = Keeper.try_acquire(self.directory)
        self._sync_lexical()
        self.view = EngineView(self.config, self._lexical_reader())
        cfg = self.app.config
        settings = encoder_settings(cfg)
        model, digest = cfg.get("SEARCH_MODEL"), cfg.get("SEARCH_MODEL_SHA256")
        embedder, self.unavailable_reason = load_embedder(model, digest, **settings)
        worker_model, _ = (load_embedder(model, digest, "worker", **settings)
                           if embedder is not None else (None, ""))
        self.worker = IndexWorker(self.bind, worker_model,
                                  lease_seconds=int(cfg.get("SEARCH_LEASE_SECONDS", 60)))
        # Each worker process keeps to its share of the cores (issue 9: no oversubscription).
        self.threads = apply_threads(settings["threads"])
        if embedder is not None:
            self.embedder = embedder
            dense, self.applied_seq = self._load_vectors(embedder)
            self.view = EngineView(self.config, self.view.lexical, dense,
                                   QueryEncoder(embedder, self.config))
        self.state = "ready"

    def _load_vectors(self, embedder) -> tuple[VectorSnapshot, int]:
        """The saved base if it verifies, else every stored vector read from the database."""
        found = read_base(self.directory, self.index_model_id(embedder), embedder.dim)
        self.loaded_from_disk = found is not None
        if found is not None:
            base, manifest = found
            return VectorSnapshot.from_base(base), int(manifest.get("seq", 0))
        return self._vectors_from_database(embedder)

    def _vectors_from_database(self, embedder) -> tuple[VectorSnapshot, int]:
        """Every stored vector, as of the current sequence number (written as a base by the keeper)."""
        with Session(self.bind) as session:
            seq = current_seq(session)
            ids = list(session.scalars(select(SearchDocument.thread_id)
                                       .where(SearchDocument.indexed.is_(True))))
            vectors = self._thread_vectors(session, ids, embedder)
        snapshot = VectorSnapshot.empty(embedder.dim).with_changes(vectors)
        if self.keeper is not None and len(snapshot):
            snapshot = self._write_base(snapshot, seq)
        return snapshot, seq

    def index_model_id(self, embedder) -> str:
        """What a saved base must have been built with: model and thread-text recipe."""
        return f"{embedder.model_id}+{self.config.signature()}"

    # ------------------------------------------------------------ following the documents
    def _follow(self) -> None:
        self._sync_lexical()
        lexical = self._lexical_reader()
        dense = self.view.dense
        applied = 0
        with Session(self.bind) as session:
            while True:
                rows = session.execute(
                    select(SearchDocument.thread_id, SearchDocument.indexed, SearchDocument.seq)
                    .where(SearchDocument.seq > self.applied_seq)
                    .order_by(SearchDocument.seq).limit(PAGE)).all()
                if not rows:
                    break
                if dense is not None:
                    vectors = self._thread_vectors(
                        session, [r.thread_id for r in rows if r.indexed], self.embedder)
                    dense = dense.with_changes(
                        vectors, [r.thread_id for r in rows if r.thread_id not in vectors])
                self.applied_seq = max(self.applied_seq, rows[-1].seq)
                applied += len(rows)
        if dense is not None and self.keeper is not None and dense.pending >= COMPACT_AT:
            dense = self._write_base(dense, self.applied_seq)
        self.view = EngineView(self.config, lexical, dense, self.view.queries)
        if applied:
            log.info("View swapped: %d document(s) applied, now at change %d",
                     applied, self.applied_seq)

    def _thread_vectors(self, session, ids, embedder) -> dict[int, np.ndarray]:
        stored = stored_vectors(session, ids, embedder.model_id)
        return {tid: thread_vector({n: v for n, (_, v) in fields.items()}, self.config)
                for tid, fields in stored.items()}

    def _write_base(self, snapshot: VectorSnapshot, seq: int) -> VectorSnapshot:
        """Fold the delta into a new base file and map it (keeper only)."""
        # Exact below SEARCH_LARGE_BASE vectors, IVF-SQfp16 above (mapped by every worker).
        base = compact(snapshot, self.large_base, self._stored_vectors_of(snapshot))
        manifest = self.keeper.write_base(base, {
            "model_id": self.index_model_id(self.embedder), "seq": seq})
        self.keeper.cleanup()
        found = read_base(self.directory, manifest["model_id"], snapshot.dim)
        return VectorSnapshot.from_base(found[0] if found else base)

    def _stored_vectors_of(self, snapshot: VectorSnapshot):
        """Exact vectors by id for a freshly trained base: from the stored embeddings (a
        quantised base only approximates them), the snapshot's where none is stored."""
        def vectors_of(ids: np.ndarray) -> np.ndarray:
            found: dict[int, np.ndarray] = {}
            with Session(self.bind) as session:
                for start in range(0, len(ids), PAGE):  # bounded IN lists
                    found.update(self._thread_vectors(session, ids[start:start + PAGE].tolist(),
                                                      self.embedder))
            missing = [int(i) for i in ids if int(i) not in found]
            found.update(zip(missing, snapshot.vectors(missing)) if missing else ())
            return np.stack([found[int(i)] for i in ids])
        return vectors_of

    def rebuild_files(self) -> bool:
        """Write a new keyword index and vector base from the database, publishing each when
        complete (readers keep the old ones until then); False when another process keeps
        this folder (it follows the same documents)."""
        with self._step:
            if self.keeper is None:
                self.keeper = Keeper.try_acquire(self.directory)
            if self.keeper is None:
                return False
            if self.state == "stopped":
                self._start()
            self.keeper.rebuild_lexical(self.bind)
            if self.embedder is not None:
                dense, self.applied_seq = self._vectors_from_database(self.embedder)
                self.view = EngineView(self.config, self.view.lexical, dense, self.view.queries)
            self._follow()
        return True

    def publish_base(self) -> None:
        """Fold every change into a new vector base now (keeper only), so the next process
        to start maps it instead of reading vectors from the database."""
        with self._step:
            if self.state == "stopped":
                self._start()
            self._follow()
            dense = self.view.dense
            if self.keeper is not None and dense is not None and dense.pending:
                dense = self._write_base(dense, self.applied_seq)
                self.view = EngineView(self.config, self.view.lexical, dense, self.view.queries)

    # ------------------------------------------------------------ keyword index
    def _sync_lexical(self) -> None:
        if self.keeper is None:
            self.keeper = Keeper.try_acquire(self.directory)  # take over from a stopped keeper
        if self.keeper is not None:
            self.keeper.sync_lexical(self.bind)

    def _lexical_reader(self):
        """A reader of the published keyword index; the current one if nothing was published."""
        pointer = read_pointer(self.directory)
        at = (pointer.get("dir", ""), int(pointer.get("seq", 0)))
        if not at[0] or at == self._lexical_at:
            return self.view.lexical
        try:
            if at[0] != self._lexical_at[0]:
                self._fulltext = FullTextIndex(os.path.join(self.directory, at[0]))
            reader = self._fulltext.reader()
        except (OSError, ValueError):  # files changing under us: keep the last view
            log.warning("Keyword index %s is not readable yet", at[0])
            return self.view.lexical
        self._lexical_at = at
        return reader
