"""IndexService: one process's search engine, rebuilt from and kept in step with the database."""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Callable, Iterable, Optional

import faiss
import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from search.embedder import Embedder, EmbedderUnavailable
from search.engine import EngineConfig, FieldVector, SearchEngine
from search.text import MAX_REPLIES, ThreadDoc

from .extensions import db
from .models import IndexChange, Thread, ThreadEmbedding
from .models._base import utcnow

log = logging.getLogger(__name__)

BATCH = 256
# Re-read this many change ids behind the last one applied: with concurrent writers an
# id can commit after a larger one (PostgreSQL sequences); re-applying is harmless.
LOOKBACK_IDS = 200

# One model per process, shared by every app (and every test app) that asks for it.
_EMBEDDERS: dict[tuple, Embedder | Exception] = {}
_EMBEDDERS_LOCK = threading.Lock()


def load_embedder(model: Optional[str], sha256: Optional[str]) -> tuple[Optional[Embedder], str]:
    """The process-wide embedder for this model, or (None, reason) when it cannot load."""
    key = (model, sha256)
    with _EMBEDDERS_LOCK:
        if key not in _EMBEDDERS:
            try:
                _EMBEDDERS[key] = Embedder(model, expected_sha256=sha256)
            except EmbedderUnavailable as exc:
                log.error("Embedding model unavailable, lexical search only: %s", exc)
                _EMBEDDERS[key] = exc
        found = _EMBEDDERS[key]
    if isinstance(found, Exception):
        return None, str(found)
    return found, ""


def indexable():
    """Threads that belong in the index: not deleted, not hidden (restricted ones are
    indexed and filtered per user after retrieval)."""
    return select(Thread).where(Thread.deleted_at.is_(None), Thread.is_hidden.is_(False))


def to_doc(thread: Thread) -> ThreadDoc:
    """The search layer's plain view of a thread: visible posts only."""
    visible = [p for p in thread.posts if not p.is_opening and p.deleted_at is None
               and not p.is_hidden]
    accepted = [p for p in visible if p.id == thread.accepted_post_id]
    replies = accepted + [p for p in visible if p.id != thread.accepted_post_id]
    opening = thread.opening_post
    return ThreadDoc(
        thread_id=thread.id, title=thread.title, body=opening.body if opening else "",
        tags=tuple(thread.tag_names), category=thread.category.name,
        replies=tuple(p.body for p in replies[:MAX_REPLIES]),
    )


class IndexService:
    """Lazily started engine for one app: load or rebuild, then follow the change log."""

    def __init__(self, app):
        from .indexing import Throttle, index_path

        self.app = app
        self.directory = index_path(app)
        self.engine: Optional[SearchEngine] = None
        self.unavailable_reason = ""
        self.last_change_id = 0
        self._seen: set[int] = set()
        self._lock = threading.RLock()
        self.session: Optional[Session] = None  # set for the duration of each entry point
        self._save_throttle = Throttle(app.config.get("SEARCH_SAVE_INTERVAL", 30))
        self.started = False
        self.loaded_from_disk = False
        self.synced_at = utcnow()  # when this process last read the change log
        self._prune_check = Throttle(3600)

    # ------------------------------------------------------------ lifecycle
    def engine_ready(self) -> SearchEngine:
        """Start the engine on first use, then catch up with the database."""
        with self._reading():
            if not self.started:
                self._start()
            self.catch_up()
            return self.engine

    @contextmanager
    def _reading(self):
        """Hold the lock and a session of the service's own for one entry point.

        The request's session may be mid-commit (after_commit) or hold state the
        index must not see, so the service never reads through it.
        """
        with self._lock, Session(db.engine) as session:
            previous, self.session = self.session, session
            try:
                yield session
            finally:
                self.session = previous

    def _start(self) -> None:
        # One FAISS thread per query: with several, a loaded 2-core web host was 10x slower
        # (benchmarks/README.md); parallelism comes from serving requests side by side.
        faiss.omp_set_num_threads(1)
        cfg = self.app.config
        embedder, reason = load_embedder(cfg.get("SEARCH_MODEL"), cfg.get("SEARCH_MODEL_SHA256"))
        self.unavailable_reason = reason
        self.engine = SearchEngine(embedder, EngineConfig())
        self.synced_at = utcnow()
        manifest = self.engine.load(self.directory) if embedder else None
        if manifest is not None and self._pruned_since(manifest.get("synced_at")):
            manifest = None  # changes after the saved index may be gone from the log: rebuild
        self.loaded_from_disk = manifest is not None
        if manifest is not None:
            # Vectors are current up to the manifest's change; BM25 is rebuilt from text.
            self.last_change_id = int(manifest.get("last_change_id", 0))
            self._index_all(dense=False)
        else:
            self._rebuild()
        self.started = True

    def request_catch_up(self) -> None:
        """Called after a commit in this process: apply the new changes now."""
        try:
            # Runs inside after_commit, where the request's session may not emit SQL.
            with self._reading():
                self.catch_up()
        except Exception:  # the commit already happened; the log will be replayed later
            log.exception("Index catch-up failed; it will be retried on the next query")

    def catch_up(self) -> int:
        """Apply change-log rows this process has not applied yet; returns how many threads."""
        if not self.started:
            return 0
        if self._prune_check.ready() and self._pruned_since(self.synced_at.isoformat()):
            log.warning("The change log was pruned past this index; rebuilding it")
            self._rebuild()
            return 0
        self.synced_at = utcnow()
        rows = self.session.execute(
            select(IndexChange.id, IndexChange.thread_id)
            .where(IndexChange.id > self.last_change_id - LOOKBACK_IDS)
        ).all()
        fresh = [(cid, tid) for cid, tid in rows if cid not in self._seen
                 and cid > self.last_change_id - LOOKBACK_IDS]
        if not fresh:
            return 0
        self.apply({tid for _, tid in fresh})
        self._seen.update(cid for cid, _ in fresh)
        self.last_change_id = max(self.last_change_id, max(cid for cid, _ in fresh))
        self._seen = {c for c in self._seen if c > self.last_change_id - LOOKBACK_IDS}
        if self._save_throttle.ready():
            self.save()
        return len({tid for _, tid in fresh})

    def _pruned_since(self, stamp: Optional[str]) -> bool:
        """True when the oldest change still in the log is newer than `stamp` (or no stamp):
        changes between them may have been pruned, so replaying the log is not enough."""
        oldest = self.session.scalar(select(func.min(IndexChange.created_at)))
        if oldest is None:
            return False
        try:
            return stamp is None or datetime.fromisoformat(stamp) < oldest
        except (TypeError, ValueError):
            return True

    # ------------------------------------------------------------ indexing
    def apply(self, thread_ids: Iterable[int], reencode: bool = False) -> None:
        """Bring these threads' index entries in line with the database."""
        ids = sorted(set(thread_ids))
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            threads = self._load(indexable().where(Thread.id.in_(chunk)))
            keep = {t.id for t in threads}
            for gone in set(chunk) - keep:
                self.engine.remove(gone)
            self._upsert(threads, dense=True, reencode=reencode)

    def _index_all(self, dense: bool, reencode: bool = False,
                   progress: Optional[Callable[[int], None]] = None) -> int:
        ids = list(self.session.scalars(indexable().with_only_columns(Thread.id)
                                      .order_by(Thread.id)))
        for start in range(0, len(ids), BATCH):
            threads = self._load(indexable().where(Thread.id.in_(ids[start:start + BATCH])))
            self._upsert(threads, dense=dense, reencode=reencode)
            if progress:
                progress(len(threads))
        return len(ids)

    def _load(self, stmt) -> list[Thread]:
        return list(self.session.scalars(stmt.options(
            selectinload(Thread.posts), selectinload(Thread.tags), selectinload(Thread.category))))

    def _upsert(self, threads: list[Thread], dense: bool, reencode: bool = False) -> None:
        if not threads:
            return
        docs = [to_doc(t) for t in threads]
        if not dense or self.engine.embedder is None:
            self.engine.upsert_many(docs, dense=False)
            return
        stored = None if reencode else self._stored_vectors([d.thread_id for d in docs])
        fields = self.engine.embed_threads(docs, [stored.get(d.thread_id) for d in docs]
                                           if stored else None)
        self._store_vectors(docs, fields, stored or {})
        self.engine.upsert_many(docs, fields)

    def _stored_vectors(self, ids: list[int]) -> dict[int, dict]:
        """{thread_id: {field: (digest, vector)}} kept in the database for this model."""
        model_id = self.engine.embedder.model_id
        out: dict[int, dict] = {}
        for row in self.session.scalars(select(ThreadEmbedding).where(
                ThreadEmbedding.thread_id.in_(ids), ThreadEmbedding.model_id == model_id)):
            vec = np.frombuffer(row.vector, dtype=np.float32)
            out.setdefault(row.thread_id, {})[row.field] = (row.text_digest, vec)
        return out

    def _store_vectors(self, docs, fields: list[dict[str, FieldVector]], stored: dict) -> None:
        """Write new or changed vectors in a session of their own (after the user's commit)."""
        model_id = self.engine.embedder.model_id
        changed = []
        for doc, by_field in zip(docs, fields):
            kept = stored.get(doc.thread_id, {})
            if set(kept) != set(by_field) or any(kept[n][0] != fv.digest
                                                 for n, fv in by_field.items() if n in kept):
                changed.append((doc.thread_id, by_field))
        if not changed:
            return
        with Session(db.engine) as session:
            session.info["indexing_disabled"] = True
            session.execute(delete(ThreadEmbedding).where(
                ThreadEmbedding.thread_id.in_([tid for tid, _ in changed])))
            for tid, by_field in changed:
                for name, fv in by_field.items():
                    session.add(ThreadEmbedding(
                        thread_id=tid, field=name, model_id=model_id,
                        text_digest=fv.digest, vector=np.asarray(fv.vector, np.float32).tobytes()))
            session.commit()

    # ------------------------------------------------------------ operations
    def save(self) -> None:
        """Write the vector index with the change it reflects (no-op when lexical only)."""
        if self.engine is None or self.engine.embedder is None:
            return
        try:
            self.engine.save(self.directory, last_change_id=self.last_change_id,
                             synced_at=self.synced_at.isoformat())
        except OSError:
            log.exception("Could not save the vector index; it stays in memory")

    def reindex(self, reencode: bool = False, progress=None) -> int:
        """Rebuild both indexes from the database (stored vectors unless reencode)."""
        with self._reading():
            if not self.started:
                self._start()
            return self._rebuild(reencode, progress)

    def _rebuild(self, reencode: bool = False, progress=None) -> int:
        self.synced_at = utcnow()
        self.last_change_id = self.session.scalar(select(func.max(IndexChange.id))) or 0
        self.engine = SearchEngine(self.engine.embedder, self.engine.config)
        count = self._index_all(dense=True, reencode=reencode, progress=progress)
        self.save()
        # Everything up to now is in the fresh index: no need to replay the window.
        self._seen = set(self.session.scalars(select(IndexChange.id).where(
            IndexChange.id > self.last_change_id - LOOKBACK_IDS)))
        return count

    def prune(self, keep_days: int) -> int:
        """Delete change-log rows older than keep_days, always keeping the newest row (so
        ids are never reused); returns how many were deleted."""
        with self._reading() as session:
            newest = session.scalar(select(func.max(IndexChange.id)))
            if newest is None:
                return 0
            cutoff = utcnow() - timedelta(days=keep_days)
            deleted = session.execute(delete(IndexChange).where(
                IndexChange.created_at < cutoff, IndexChange.id < newest)).rowcount
            session.commit()
            return deleted

    def status(self) -> dict:
        """Model, counts, index kind and freshness."""
        engine = self.engine_ready()
        with self._reading():
            return self._status(engine)

    def _status(self, engine) -> dict:
        latest = self.session.scalar(select(func.max(IndexChange.id))) or 0
        return {
            "model": engine.embedder.model_id if engine.embedder else None,
            "mode": "lexical only" if engine.lexical_only else "hybrid",
            "unavailable_reason": self.unavailable_reason,
            "indexed_threads": len(engine),
            "vectors": len(engine.dense) if engine.dense is not None else 0,
            "index_kind": engine.dense.kind if engine.dense is not None else "none",
            "database_threads": self.session.scalar(
                indexable().with_only_columns(func.count(Thread.id))),
            "stored_embeddings": self.session.scalar(select(func.count()).select_from(
                ThreadEmbedding)),
            "last_change_applied": self.last_change_id,
            "latest_change": latest,
            "loaded_from_disk": self.loaded_from_disk,
            "directory": self.directory,
        }

    def verify(self) -> list[str]:
        """Ways the index and the database disagree (empty when they agree)."""
        engine = self.engine_ready()
        with self._reading():
            return self._verify(engine)

    def _verify(self, engine) -> list[str]:
        expected = set(self.session.scalars(indexable().with_only_columns(Thread.id)))
        problems = []
        lexical = set(engine.lexical.ids())
        dense = set(engine.dense.ids()) if engine.dense is not None else None
        for name, have in (("lexical", lexical), ("vector", dense)):
            if have is None:
                continue
            if expected - have:
                problems.append(f"{len(expected - have)} thread(s) missing from the {name} "
                                f"index: {sorted(expected - have)[:10]}")
            if have - expected:
                problems.append(f"{len(have - expected)} thread(s) in the {name} index that "
                                f"should not be: {sorted(have - expected)[:10]}")
        if dense is not None:
            problems += self._verify_vectors(engine, expected & dense)
        return problems

    def _verify_vectors(self, engine, ids: set[int]) -> list[str]:
        """Stored embeddings must exist for this model and match the indexed vectors."""
        stored = self._stored_vectors(sorted(ids))
        missing = sorted(ids - set(stored))
        problems = []
        if missing:
            problems.append(f"{len(missing)} thread(s) without a stored embedding for "
                            f"{engine.embedder.model_id}: {missing[:10]}")
        return problems


