"""Record what happens to suggestions; every function is a no-op for opted-out members."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets

from flask import current_app
from sqlalchemy import delete, select

from ..domain import DomainError
from ..extensions import db
from ..models import SuggestionEvent, SuggestionOptOut, Thread, User

log = logging.getLogger(__name__)

# A composer session: a random token made by the server for one composer page.
_SESSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CLIENT_EVENTS = ("opened", "dismissed")


def new_session() -> str:
    """A fresh random composer-session token (links shown, opened and posted events)."""
    return secrets.token_urlsafe(18)


def valid_session(token) -> bool:
    """True for a token shaped like ``new_session``'s (anything else is ignored)."""
    return isinstance(token, str) and bool(_SESSION.match(token))


def draft_digest(title: str, body: str) -> str:
    """A keyed digest of a draft: equal drafts match, but the text cannot be guessed back.

    Keyed with SECRET_KEY because a plain hash of a short title could be reversed by
    hashing likely titles; 128 bits are plenty to tell drafts apart.
    """
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{title}\0{body}".encode(), hashlib.sha256).hexdigest()[:32]


def recording_for(user) -> bool:
    """True when events may be recorded for this user: a member who did not opt out."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(SuggestionOptOut, user.id) is None


def set_opt_out(user, opted_out: bool) -> None:
    """Opt a member out (deleting what was recorded about them) or back in; commits."""
    row = db.session.get(SuggestionOptOut, user.id)
    if opted_out and row is None:
        db.session.add(SuggestionOptOut(user_id=user.id))
        db.session.execute(delete(SuggestionEvent).where(SuggestionEvent.user_id == user.id))
    elif not opted_out and row is not None:
        db.session.delete(row)
    db.session.commit()


def record_shown(user, session: str, title: str, body: str, thread_ids: list[int]) -> int:
    """Record the suggestions listed for a draft, once per (session, thread, rank); commits.

    Args:
        user: The member typing.
        session: The composer's session token (invalid tokens record nothing).
        title, body: The draft, kept only as a digest and a length.
        thread_ids: The listed threads, best first (rank 1 first).

    Returns:
        How many new rows were written.
    """
    if not thread_ids or not valid_session(session) or not recording_for(user):
        return 0
    seen = set(db.session.execute(
        select(SuggestionEvent.thread_id, SuggestionEvent.rank).where(
            SuggestionEvent.session == session, SuggestionEvent.kind == "shown")).all())
    digest, length = draft_digest(title, body), len(title) + len(body)
    new = [(tid, rank) for rank, tid in enumerate(thread_ids, start=1) if (tid, rank) not in seen]
    if not new:  # the same list again (the composer asks on every pause): nothing to write
        return 0
    db.session.add_all(SuggestionEvent(kind="shown", session=session, user_id=user.id,
                                       thread_id=tid, rank=rank, draft_digest=digest,
                                       draft_length=length) for tid, rank in new)
    db.session.commit()
    return len(new)


def record_shown_after(response, user, session: str, title: str, body: str, thread_ids) -> None:
    """Record the listing once ``response`` is sent: the writer never waits for the write.

    The composer asks on every pause in typing; an insert and a commit (an fsync on SQLite)
    would otherwise be added to each answer.
    """
    if not thread_ids or not valid_session(session) or not getattr(user, "is_authenticated", False):
        return
    app, user_id = current_app._get_current_object(), user.id

    def write():
        with app.app_context():
            try:
                record_shown(db.session.get(User, user_id), session, title, body, thread_ids)
            except Exception:  # noqa: BLE001 - statistics must never break a request
                log.exception("Recording shown suggestions failed")
                db.session.rollback()
            finally:
                db.session.remove()

    response.call_on_close(write)


def record_client_event(user, session, kind, thread_id=None, rank=None) -> bool:
    """Record "opened" (a listed thread clicked) or "dismissed" ("none of these"); commits.

    Raises:
        DomainError: malformed event (the API answers 400).

    Returns:
        True when recorded, False when the member opted out or is a guest.
    """
    if kind not in CLIENT_EVENTS:
        raise DomainError(("event", f"event must be one of {', '.join(CLIENT_EVENTS)}"))
    if not valid_session(session):
        raise DomainError(("session", "session is missing or malformed"))
    if not recording_for(user):
        return False
    if kind == "opened":
        # Only what this member was shown in this session can be opened: forged or
        # replayed ids are refused, so the counts cannot be inflated from outside.
        shown = db.session.scalar(select(SuggestionEvent.id).where(
            SuggestionEvent.session == session, SuggestionEvent.user_id == user.id,
            SuggestionEvent.kind == "shown", SuggestionEvent.thread_id == thread_id,
            SuggestionEvent.rank == rank))
        if shown is None:
            raise DomainError(("thread_id", "that thread was not suggested in this session"))
    db.session.add(SuggestionEvent(kind=kind, session=session, user_id=user.id,
                                   thread_id=thread_id if kind == "opened" else None,
                                   rank=rank if kind == "opened" else None))
    db.session.commit()
    return True


def record_posted(author, session: str, thread: Thread) -> None:
    """Note that a composer session became this thread (no commit: the caller's transaction)."""
    if valid_session(session) and recording_for(author):
        db.session.add(SuggestionEvent(kind="posted", session=session, user_id=author.id,
                                       new_thread_id=thread.id))


def record_duplicate(thread: Thread, original: Thread) -> None:
    """Note a closed duplicate and whether its original had been suggested (no commit)."""
    posted = db.session.scalar(select(SuggestionEvent).where(
        SuggestionEvent.kind == "posted", SuggestionEvent.new_thread_id == thread.id))
    if posted is None:  # not posted through the composer, opted out, or pruned since
        return
    db.session.execute(delete(SuggestionEvent).where(  # re-marked: the latest original counts
        SuggestionEvent.kind == "duplicate", SuggestionEvent.new_thread_id == thread.id))
    rank = db.session.scalar(select(SuggestionEvent.rank).where(
        SuggestionEvent.session == posted.session, SuggestionEvent.kind == "shown",
        SuggestionEvent.thread_id == original.id).order_by(SuggestionEvent.rank).limit(1))
    db.session.add(SuggestionEvent(kind="duplicate", session=posted.session,
                                   user_id=posted.user_id, thread_id=original.id, rank=rank,
                                   new_thread_id=thread.id))
