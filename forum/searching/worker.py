"""The worker: queued threads become stored embeddings and numbered documents, off the request.

One worker at a time holds the lease (a row in search_state, renewed every batch,
taken over when it expires), so the model runs once per change however many web
processes there are; any process may be that worker (a background thread in each
server process by default, or `flask --app forum search worker`).

Per batch: claim the oldest queue rows, read the threads' current state, encode
only text whose digest changed (after the read transaction has ended: encoding
holds no database lock), then in one transaction check the lease, take the next
sequence number, write the embeddings and documents and delete exactly the claimed
rows. A change committed meanwhile added a row this batch did not claim, so it is
processed again; the sequence number is taken under search_state's row lock, so
numbers commit in order and followers replay ``seq > last`` with no window.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Callable, Optional

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from search.engine import embed_threads
from search.text import lexical_text, text_digest

from ..models import SearchDocument, SearchQueue, SearchState, ThreadEmbedding
from ..models._base import utcnow
from .documents import load_docs

log = logging.getLogger(__name__)

BATCH = 64          # threads per transaction: a query never waits long behind one
CHUNK = 500         # ids per IN (…) list, well under SQLite's limit
LEASE_SECONDS = 60  # a crashed worker's lease passes to another after this


def worker_name() -> str:
    """A name unique to this worker: host, process and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class IndexWorker:
    """Processes the search queue for one database."""

    def __init__(self, bind, embedder, name: Optional[str] = None,
                 lease_seconds: int = LEASE_SECONDS) -> None:
        self.bind = bind  # the SQLAlchemy engine
        self.embedder = embedder  # None: lexical only (documents, no vectors)
        self.name = name or worker_name()
        self.lease_seconds = lease_seconds

    # ------------------------------------------------------------ public
    def run_once(self, limit: int = BATCH, reencode: bool = False) -> int:
        """Process one batch if this worker holds (or can take) the lease; returns threads done."""
        with Session(self.bind) as session:
            # Look before taking the lease: an idle server then only reads.
            if session.scalar(select(SearchQueue.id).limit(1)) is None:
                return 0
            if not self._take_lease(session):
                return 0
            rows = session.execute(select(SearchQueue.id, SearchQueue.thread_id)
                                   .order_by(SearchQueue.id).limit(limit)).all()
            if not rows:
                return 0
            started = time.perf_counter()
            thread_ids = sorted({tid for _, tid in rows})
            docs = load_docs(session, thread_ids)
            stored = {} if reencode or self.embedder is None else self._stored(session, list(docs))
            session.rollback()  # end the read transaction before the model runs
        fields = self._embed(docs, stored)
        with Session(self.bind) as session:
            seq = self._next_seq(session)
            if seq is None:
                log.info("Search worker %s lost its lease; the batch is left for the holder",
                         self.name)
                return 0
            self._write(session, seq, thread_ids, docs, fields, stored)
            for chunk in _chunks([cid for cid, _ in rows]):
                session.execute(delete(SearchQueue).where(SearchQueue.id.in_(chunk)))
            session.commit()
        log.info("Batch indexed: %d thread(s) (%d encoded field(s)) in %.0f ms, as change %d",
                 len(thread_ids), sum(len(f) for f in fields.values()),
                 (time.perf_counter() - started) * 1000, seq)
        return len(thread_ids)

    def drain(self, progress: Optional[Callable[[int], None]] = None, reencode: bool = False) -> int:
        """Process batches until the queue is empty (or the lease is another's)."""
        total = 0
        while True:
            done = self.run_once(reencode=reencode)
            if not done:
                return total
            total += done
            if progress:
                progress(done)

    def release(self) -> None:
        """Give the lease up (a clean shutdown), so another worker need not wait for expiry."""
        _free_lease(self.bind, SearchState.lease_owner == self.name)

    @staticmethod
    def forget_lease(bind) -> None:
        """Free the lease whoever holds it: for a database just restored or copied, whose
        holder was a worker of the forum it came from (it would block indexing here until
        the lease ran out). Never for a live forum: its worker would be doubled."""
        _free_lease(bind)

    # ------------------------------------------------------------ steps
    def _take_lease(self, session: Session) -> bool:
        now = utcnow()
        until = now + timedelta(seconds=self.lease_seconds)
        free = (SearchState.lease_owner == self.name) | (SearchState.lease_owner == "") | (
            SearchState.lease_until.is_(None)) | (SearchState.lease_until < now)
        taken = session.execute(update(SearchState).where(SearchState.id == 1, free)
                                .values(lease_owner=self.name, lease_until=until)).rowcount
        if not taken and session.get(SearchState, 1) is None:
            session.rollback()
            try:
                session.execute(insert(SearchState).values(id=1, seq=0, lease_owner=self.name,
                                                           lease_until=until))
                taken = 1
            except IntegrityError:  # another worker made the row first: it holds the lease
                session.rollback()
                return False
        session.commit()
        return bool(taken)

    def _next_seq(self, session: Session) -> Optional[int]:
        """The next sequence number, if this worker still holds the lease (row-locked to commit)."""
        until = utcnow() + timedelta(seconds=self.lease_seconds)
        return session.execute(
            update(SearchState).where(SearchState.id == 1, SearchState.lease_owner == self.name)
            .values(seq=SearchState.seq + 1, lease_until=until).returning(SearchState.seq)
        ).scalar()

    def _stored(self, session: Session, ids: list[int]) -> dict[int, dict]:
        """{thread id: {field: (digest, vector)}} kept for this model."""
        return stored_vectors(session, ids, self.embedder.model_id)

    def _embed(self, docs: dict, stored: dict) -> dict[int, dict]:
        if self.embedder is None or not docs:
            return {}
        ids = list(docs)
        encoded = embed_threads(self.embedder, [docs[i] for i in ids], [stored.get(i) for i in ids])
        return dict(zip(ids, encoded))

    def _write(self, session, seq, thread_ids, docs, fields, stored) -> None:
        model_id = self.embedder.model_id if self.embedder is not None else ""
        changed = [tid for tid, by_field in fields.items() if _differs(stored.get(tid, {}), by_field)]
        for chunk in _chunks(changed):
            session.execute(delete(ThreadEmbedding).where(ThreadEmbedding.thread_id.in_(chunk)))
        now = utcnow()
        rows = [dict(thread_id=tid, field=name, model_id=model_id, text_digest=fv.digest,
                     vector=np.asarray(fv.vector, np.float32).tobytes(), updated_at=now)
                for tid in changed for name, fv in fields[tid].items()]
        if rows:
            session.execute(insert(ThreadEmbedding), rows)
        for chunk in _chunks(thread_ids):
            session.execute(delete(SearchDocument).where(SearchDocument.thread_id.in_(chunk)))
        session.execute(insert(SearchDocument), [dict(
            thread_id=tid, seq=seq, indexed=tid in docs, updated_at=now,
            lexical_digest=text_digest(lexical_text(docs[tid])) if tid in docs else "",
            model_id=model_id if tid in fields else "") for tid in thread_ids])


def stored_vectors(session: Session, ids, model_id: str) -> dict[int, dict]:
    """{thread id: {field: (digest, vector)}} stored for ``model_id``."""
    out: dict[int, dict] = {}
    for chunk in _chunks(sorted(ids)):
        for row in session.execute(select(
                ThreadEmbedding.thread_id, ThreadEmbedding.field, ThreadEmbedding.text_digest,
                ThreadEmbedding.vector).where(ThreadEmbedding.thread_id.in_(chunk),
                                              ThreadEmbedding.model_id == model_id)):
            out.setdefault(row.thread_id, {})[row.field] = (
                row.text_digest, np.frombuffer(row.vector, dtype=np.float32))
    return out


def queue_state(session: Session) -> tuple[int, Optional[object]]:
    """(rows waiting, when the oldest was queued)."""
    count, oldest = session.execute(
        select(func.count(SearchQueue.id), func.min(SearchQueue.queued_at))).one()
    return int(count or 0), oldest


def _differs(kept: dict, by_field: dict) -> bool:
    return set(kept) != set(by_field) or any(kept[n][0] != fv.digest for n, fv in by_field.items())


def _chunks(items, size: int = CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _free_lease(bind, *held_by) -> None:
    """Clear the queue's lease (only where ``held_by`` holds, when given)."""
    with Session(bind) as session:
        session.execute(update(SearchState).where(SearchState.id == 1, *held_by)
                        .values(lease_owner="", lease_until=None))
        session.commit()
