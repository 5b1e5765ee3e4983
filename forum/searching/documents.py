"""Threads as the search library sees them, read from the database in batches."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from search.text import MAX_REPLIES, ThreadDoc

from ..models import Post, Thread, ThreadEmbedding

BATCH = 256


def indexable():
    """Threads that belong in the index: not deleted, not hidden (restricted ones are
    indexed and filtered per user after retrieval)."""
    return select(Thread).where(Thread.deleted_at.is_(None), Thread.is_hidden.is_(False))


def indexable_ids(session: Session, after: int = 0, limit: int | None = None) -> list[int]:
    """Ids of indexable threads above ``after``, in id order (a page when ``limit`` is set)."""
    stmt = indexable().with_only_columns(Thread.id).where(Thread.id > after).order_by(Thread.id)
    return list(session.scalars(stmt.limit(limit) if limit else stmt))


def count_indexable(session: Session) -> int:
    """How many threads belong in the index."""
    return session.scalar(indexable().with_only_columns(func.count(Thread.id))) or 0


def count_without_vectors(session: Session, model_id: str) -> int:
    """How many threads that belong in the index have no main-text vector from this model
    (queued work, or every thread after ``SEARCH_MODEL`` changed until a reindex)."""
    has_vector = (select(ThreadEmbedding.thread_id)
                  .where(ThreadEmbedding.model_id == model_id, ThreadEmbedding.field == "main"))
    return session.scalar(indexable().with_only_columns(func.count(Thread.id))
                          .where(Thread.id.not_in(has_vector))) or 0


def load_docs(session: Session, ids) -> dict[int, ThreadDoc]:
    """``{id: ThreadDoc}`` for the indexable threads among ``ids`` (the others are absent)."""
    ids = sorted(set(ids))
    out: dict[int, ThreadDoc] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        stmt = indexable().where(Thread.id.in_(chunk)).options(
            selectinload(Thread.posts), selectinload(Thread.tags), selectinload(Thread.category))
        out.update((t.id, to_doc(t)) for t in session.scalars(stmt))
    return out


def to_doc(thread: Thread) -> ThreadDoc:
    """The search layer's plain view of a thread: visible posts only, accepted answer first."""
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


def reply_is_read(connection, post: Post, accepted_id: int | None) -> bool:
    """Whether the thread text reads this reply: the accepted answer, or one of the first
    visible replies that fit beside it (``to_doc``'s rule, asked of the database)."""
    if post.id == accepted_id:
        return True
    slots = MAX_REPLIES - (1 if accepted_id is not None else 0)
    earlier = connection.scalar(select(func.count(Post.id)).where(
        Post.thread_id == post.thread_id, Post.is_opening.is_(False), Post.id < post.id,
        Post.deleted_at.is_(None), Post.is_hidden.is_(False),
        Post.id != (accepted_id if accepted_id is not None else -1)))
    return earlier < slots
