"""What the search index is derived from: stored embeddings, the work queue and indexed documents."""
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import utcnow


class ThreadEmbedding(db.Model):
    """One embedded field of a thread ("main", "replies"…), with model id and text digest."""

    __tablename__ = "thread_embeddings"
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(200))
    text_digest: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchQueue(db.Model):
    """A thread to (re)index, appended in the same transaction as the change to it.

    Rows are only ever inserted by writers and deleted by the worker, by id, once the
    thread's current state is indexed: a change committed while the worker runs adds
    a row the worker did not claim, so nothing can slip through (no id window).
    """

    __tablename__ = "search_queue"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"),
                                    primary_key=True)
    # No foreign key: a thread deleted outright must still leave the index.
    thread_id: Mapped[int] = mapped_column(index=True)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchDocument(db.Model):
    """What the index holds for one thread, stamped with the sequence number of its change.

    The worker gives every batch the next number from SearchState under that row's lock,
    so numbers commit in order and a process that has applied everything up to N only
    needs the rows above N.
    """

    __tablename__ = "search_documents"
    thread_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    indexed: Mapped[bool] = mapped_column(default=True)  # False: hidden, deleted or gone
    lexical_digest: Mapped[str] = mapped_column(String(64), default="")
    model_id: Mapped[str] = mapped_column(String(200), default="")  # "" when no model ran
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchState(db.Model):
    """One row: the last sequence number given out, and which worker holds the lease."""

    __tablename__ = "search_state"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    lease_owner: Mapped[str] = mapped_column(String(120), default="")
    lease_until: Mapped[Optional[datetime]] = mapped_column()
