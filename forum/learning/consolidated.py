"""Consolidated replies: drafted by extraction, edited, published; every version is kept."""
from typing import Optional

from .. import audit, permissions
from ..domain import DomainError, NotAllowed
from ..extensions import db
from ..featured import services as featured
from ..models import ConsolidatedReply, ConsolidatedRevision, Thread, User
from ..models._base import utcnow
from . import drafting

BODY_MIN, BODY_MAX = 40, 20_000


def can_consolidate(user, thread: Thread) -> bool:
    """A moderator or the asker, while able to post, works on a question's consolidated reply."""
    return (thread.kind == "question" and not thread.is_deleted and permissions.can_post(user)
            and (permissions.is_moderator(user) or thread.author_id == user.id)
            and permissions.can_view_thread(user, thread))


def _require(user, thread: Thread) -> None:
    if not can_consolidate(user, thread):
        raise NotAllowed("Only the asker or a moderator can work on the consolidated reply.")


def check_body(body: str) -> str:
    """Strip and check the length of a consolidated reply."""
    body = (body or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if not BODY_MIN <= len(body) <= BODY_MAX:
        raise DomainError(("body", f"The consolidated reply must be {BODY_MIN} to "
                                   f"{BODY_MAX:,} characters."))
    return body


def start_draft(user: User, thread: Thread) -> ConsolidatedReply:
    """Draft the thread's consolidated reply by extraction (its first, unpublished version)."""
    _require(user, thread)
    if thread.consolidated is not None:
        raise DomainError((None, "This question has a consolidated reply already; edit it."))
    body = drafting.draft_markdown(user, thread)
    reply = ConsolidatedReply(thread=thread, body=body, started_by_id=user.id)
    reply.revisions.append(ConsolidatedRevision(editor_id=user.id, body=body,
                                                note="extractive draft"))
    db.session.add(reply)
    db.session.commit()
    return reply


def redraft(user: User, reply: ConsolidatedReply) -> None:
    """Replace the working text with a fresh extraction (earlier versions stay in the history)."""
    _require(user, reply.thread)
    body = drafting.draft_markdown(user, reply.thread)
    _new_version(user, reply, body, published=False, note="extractive draft")
    db.session.commit()


def save(user: User, reply: ConsolidatedReply, body: str, publish: bool = False,
         note: str = "") -> bool:
    """Save an edited version, publishing it when asked; False when nothing changed."""
    _require(user, reply.thread)
    body = check_body(body)
    if body == reply.body and (not publish or _current_is_published(reply)):
        return False
    _new_version(user, reply, body, published=publish, note=(note or "").strip()[:200])
    if publish:
        reply.published_at, reply.published_by_id = utcnow(), user.id
        if permissions.is_moderator(user):
            audit.record(user, "consolidated.publish", "thread", reply.thread_id, note,
                         f"version {len(reply.revisions)}")
    db.session.commit()
    if publish and permissions.is_moderator(user):
        _feed_library(user, reply)
    return True


def unpublish(user: User, reply: ConsolidatedReply) -> None:
    """Take the consolidated reply off the thread page (its versions are kept)."""
    _require(user, reply.thread)
    if not reply.is_published:
        raise DomainError((None, "The consolidated reply is not published."))
    reply.published_at = reply.published_by_id = None
    if permissions.is_moderator(user):
        audit.record(user, "consolidated.unpublish", "thread", reply.thread_id)
    db.session.commit()


def _new_version(user: User, reply: ConsolidatedReply, body: str, published: bool,
                 note: str) -> None:
    reply.body, reply.updated_at = body, utcnow()
    reply.revisions.append(ConsolidatedRevision(editor_id=user.id, body=body,
                                                published=published, note=note))


def _current_is_published(reply: ConsolidatedReply) -> bool:
    return reply.is_published and bool(reply.revisions) and reply.revisions[-1].published


def _feed_library(moderator: User, reply: ConsolidatedReply) -> None:
    """A moderator's published consolidated reply enters the featured-practices library.

    A thread that is featured already keeps its curated summary; a hidden one stays out.
    """
    thread = reply.thread
    if featured.practice_of(thread) is None and not thread.is_hidden:
        featured.feature_thread(moderator, thread, reply.body, "consolidated reply published")


def published_versions(reply: Optional[ConsolidatedReply]) -> list[ConsolidatedRevision]:
    """The versions readers saw, oldest first."""
    return [r for r in reply.revisions if r.published] if reply is not None else []
