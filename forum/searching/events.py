"""What changed: session events put threads on the search queue inside the writer's transaction.

A thread is queued when, and only when, something its indexed text or its place in
the index depends on changes: its title, opening post, the replies the recipe reads
(search.text: the accepted answer and the first visible replies), tags, category,
or hidden/deleted state. Visibility rules are not in the index (queries filter per
user in the database), so a category's visibility change queues nothing; renaming a
category or a tag changes every thread text that carries it and queues them with one
INSERT … SELECT, leaving the work to the worker. The rows go in the same transaction
as the change (a rollback leaves none), after the commit this process's worker is
woken (microblog's before_commit snapshot misses autoflushed objects; after_flush
does not).
"""
from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event, insert, inspect, literal, select
from sqlalchemy.orm import Session

from ..models import Category, Post, SearchQueue, Tag, Thread, thread_tags
from ..models._base import utcnow
from .documents import reply_is_read

THREAD_FIELDS = ("title", "category_id", "category", "is_hidden", "deleted_at",
                 "accepted_post_id", "tags")
POST_FIELDS = ("body", "is_hidden", "deleted_at", "thread_id")

@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    """Queue the threads this flush changed, in the same transaction."""
    ids = changed_thread_ids(session)
    if ids:
        enqueue(session, ids)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    """Wake the worker: the queued rows are committed now."""
    if session.info.pop("search_queued", False) and has_app_context():
        service = current_app.extensions.get("searching")
        if service is not None:
            service.notify()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    """A rollback reaches nothing: the queue rows went with the transaction."""
    session.info.pop("search_queued", None)


def enqueue(session: Session, thread_ids) -> None:
    """Queue threads for (re)indexing in the session's transaction (bulk statements that
    bypass the ORM's events call this themselves)."""
    ids = sorted(set(thread_ids))
    if ids:
        now = utcnow()
        session.connection().execute(insert(SearchQueue),
                                     [{"thread_id": i, "queued_at": now} for i in ids])
        session.info["search_queued"] = True


def enqueue_select(session: Session, thread_ids_select) -> None:
    """Queue every thread a ``select(Thread.id)…`` returns, with one INSERT … SELECT."""
    stmt = insert(SearchQueue).from_select(
        ["thread_id", "queued_at"], thread_ids_select.add_columns(literal(utcnow())))
    session.connection().execute(stmt)
    session.info["search_queued"] = True


def changed_thread_ids(session: Session) -> set[int]:
    """Thread ids whose indexed text or index membership this flush changes."""
    ids: set[int] = set()
    objects = [*session.new, *session.dirty, *session.deleted]
    for obj in objects:
        if isinstance(obj, Thread) and obj.id is not None and (
                obj in session.new or obj in session.deleted or _changed(obj, THREAD_FIELDS)):
            ids.add(obj.id)
    for obj in objects:
        if isinstance(obj, Post):
            ids.update(_post_threads(session, obj, ids))
        elif isinstance(obj, Category) and obj not in session.new and _changed(obj, ("name",)):
            enqueue_select(session, select(Thread.id).where(Thread.category_id == obj.id))
        elif isinstance(obj, Tag) and obj not in session.new and _changed(obj, ("name",)):
            enqueue_select(session, select(thread_tags.c.thread_id)
                           .where(thread_tags.c.tag_id == obj.id))
    return ids


def _post_threads(session: Session, post: Post, already: set[int]) -> set[int]:
    """The threads whose text a new, changed or deleted post changes."""
    state = inspect(post)
    moved = state.attrs.thread_id.history.deleted if post not in session.new else ()
    threads = {t for t in [post.thread_id, *moved] if t is not None} - already
    if not threads:
        return set()
    if post in session.deleted or moved or post.is_opening:
        return threads
    if post not in session.new and not _changed(post, POST_FIELDS):
        return set()
    if not (_visible_now(post) or _was_visible(post)):
        return set()  # e.g. an edit to a hidden reply: the thread text never reads it
    accepted = session.connection().scalar(
        select(Thread.accepted_post_id).where(Thread.id == post.thread_id))
    return threads if reply_is_read(session.connection(), post, accepted) else set()


def _changed(obj, names) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _visible_now(post: Post) -> bool:
    return post.deleted_at is None and not post.is_hidden


def _was_visible(post: Post) -> bool:
    attrs = inspect(post).attrs
    deleted = attrs.deleted_at.history.deleted
    hidden = attrs.is_hidden.history.deleted
    was_deleted = deleted[0] if deleted else post.deleted_at
    was_hidden = hidden[0] if hidden else post.is_hidden
    return was_deleted is None and not was_hidden
