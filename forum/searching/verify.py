"""Verify and repair: compare every indexed thread with the database, and requeue what differs.

The database is the truth; everything the index holds is checked against text
composed from it now: the stored embeddings (model and text digest per field),
the numbered documents, this process's vectors (equal to the stored fields
combined) and the keyword index (the digest of the text it indexed). Repair
puts every thread that disagrees back on the queue; the worker then re-encodes
only what changed and every process re-applies it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from search.ranking import thread_vector
from search.text import lexical_text, text_digest, thread_texts

from ..models import SearchDocument
from .documents import indexable_ids, load_docs
from .events import enqueue
from .worker import _chunks, stored_vectors

log = logging.getLogger(__name__)

PAGE = 1000
SLICE = 500  # threads checked per background repair round


@dataclass
class Report:
    """What disagrees, by thread id, with a readable line per kind of problem."""

    stale: set[int] = field(default_factory=set)
    missing: set[int] = field(default_factory=set)
    extra: set[int] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)
    checked: int = 0  # threads compared
    checked_to: int = 0  # the highest id among them

    @property
    def ids(self) -> set[int]:
        """Every thread that needs repair."""
        return self.stale | self.missing | self.extra

    def add(self, kind: str, ids, what: str) -> None:
        """Record ids of one kind (stale, missing, extra) with a description."""
        ids = set(ids)
        if ids:
            getattr(self, kind).update(ids)
            self.lines.append(f"{len(ids)} {kind} thread(s): {what}: {sorted(ids)[:10]}")


def verify(service, after: int = 0, limit: int | None = None) -> Report:
    """Check threads with id above ``after`` (``limit`` of them, or all) against the database
    and this process's view (settle the service first to compare with the latest)."""
    view = service.view
    report = Report()
    with Session(service.bind) as session:
        expected = set(indexable_ids(session, after, limit))
        top = max(expected, default=after) if limit else None
        report.checked, report.checked_to = len(expected), max(expected, default=after)
        _check_documents(session, report, expected, after, top)
        embedder = service.embedder if not view.lexical_only else None
        for chunk in _chunks(sorted(expected), PAGE):
            docs = load_docs(session, chunk)
            stored = stored_vectors(session, chunk, embedder.model_id) if embedder else {}
            _check_texts(report, docs, stored, embedder)
            if embedder is not None:
                _check_vectors(report, view.dense, stored, service.config)
            _check_keywords(report, view.lexical, docs)
    _check_extra(report, view, expected, after, top)
    return report


def repair(service, report: Report) -> int:
    """Queue every thread the report names; returns how many."""
    ids = sorted(report.ids)
    if ids:
        with Session(service.bind) as session:
            enqueue(session, ids)
            session.commit()
        log.info("Search repair: %d thread(s) requeued", len(ids))
        service.notify()
    return len(ids)


def repair_slice(service) -> int:
    """One round of the background repair: the next slice of threads, wrapping around."""
    if service.keeper is None:  # one process per machine is enough
        return 0
    report = verify(service, after=service.repair_cursor, limit=SLICE)
    service.repair_cursor = report.checked_to if report.checked == SLICE else 0
    if report.ids:
        log.warning("Search repair: %s", "; ".join(report.lines))
    return repair(service, report)


def _check_documents(session, report, expected, after, top) -> None:
    stmt = select(SearchDocument.thread_id, SearchDocument.indexed).where(
        SearchDocument.thread_id > after)
    if top is not None:
        stmt = stmt.where(SearchDocument.thread_id <= top)
    indexed = {tid for tid, flag in session.execute(stmt) if flag}
    report.add("missing", expected - indexed, "no indexed document")
    report.add("extra", indexed - expected, "an indexed document for a hidden, deleted or gone thread")


def _check_texts(report, docs, stored, embedder) -> None:
    lines = []
    for tid, doc in docs.items():
        if embedder is None:
            continue
        texts = thread_texts(doc)
        kept = stored.get(tid, {})
        if not kept:
            lines.append(("missing", tid))
        elif set(kept) != set(texts) or any(kept[n][0] != text_digest(t) for n, t in texts.items()):
            lines.append(("stale", tid))
    report.add("missing", [t for k, t in lines if k == "missing"],
               "no stored embedding for the model")
    report.add("stale", [t for k, t in lines if k == "stale"],
               "stored embeddings of older text (digest differs)")


def _check_vectors(report, dense, stored, config) -> None:
    ids = [tid for tid in stored if tid in dense]
    report.add("missing", [tid for tid in stored if tid not in dense], "not in the vector index")
    if not ids:
        return
    want = np.stack([thread_vector({n: v for n, (_, v) in stored[t].items()}, config) for t in ids])
    # A quantised (IVF-SQfp16) base holds approximations: the snapshot knows how close is equal.
    same = (dense.matches(ids, want) if hasattr(dense, "matches")
            else np.isclose(dense.vectors(ids), want, atol=1e-4).all(axis=1))
    report.add("stale", [t for t, ok in zip(ids, same) if not ok], "vector differs from the stored embeddings")


def _check_keywords(report, lexical, docs) -> None:
    if not hasattr(lexical, "digests"):
        return
    indexed = lexical.digests(list(docs))
    report.add("missing", set(docs) - set(indexed), "not in the keyword index")
    report.add("stale", [tid for tid, digest in indexed.items()
                         if digest != text_digest(lexical_text(docs[tid]))],
               "keyword index holds older text")


def _check_extra(report, view, expected, after, top) -> None:
    def window(ids):
        return {i for i in ids if i > after and (top is None or i <= top)}
    if view.dense is not None:
        report.add("extra", window(view.dense.ids()) - expected, "in the vector index")
    report.add("extra", window(view.lexical.ids()) - expected, "in the keyword index")
