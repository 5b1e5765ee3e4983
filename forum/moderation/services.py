"""Moderation of threads and posts: plain values in, commit, DomainError out; all audited."""
from datetime import datetime
from typing import Optional

from .. import audit, permissions
from ..domain import DomainError
from ..extensions import db
from ..models import Category, Post, Thread, User
from ..models._base import utcnow
from ..notifications import services as notify
from ..threads.services import normalise_tags, tags_for

PIN_SCOPES = ("category", "site")


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(("reason", "Give a reason: the author will see it."))
    return reason[:500]


def pin_thread(moderator: User, thread: Thread, scope: str,
               until: Optional[datetime] = None, reason: str = "") -> None:
    """Pin a thread at the top of its category or of the whole site, until a date or not."""
    permissions.require_moderator(moderator)
    if scope not in PIN_SCOPES:
        raise DomainError(("scope", "Pin to the category or to the whole site."))
    if until is not None and until <= utcnow():
        raise DomainError(("until", "The end of the pin must be in the future."))
    thread.pinned_scope, thread.pinned_until = scope, until
    ends = f"; until {until:%Y-%m-%d}" if until else ""
    audit.record(moderator, "thread.pin", "thread", thread.id, reason, f"scope {scope}{ends}")
    db.session.commit()


def unpin_thread(moderator: User, thread: Thread, reason: str = "") -> None:
    """Take a thread off the top of the lists."""
    permissions.require_moderator(moderator)
    thread.pinned_scope, thread.pinned_until = None, None
    audit.record(moderator, "thread.unpin", "thread", thread.id, reason)
    db.session.commit()


def close_thread(moderator: User, thread: Thread, reason: str = "") -> None:
    """Close a thread to new replies."""
    permissions.require_moderator(moderator)
    if thread.status == "closed":
        raise DomainError((None, "The thread is closed already."))
    thread.status = "closed"
    audit.record(moderator, "thread.close", "thread", thread.id, reason)
    db.session.commit()


def reopen_thread(moderator: User, thread: Thread, reason: str = "") -> None:
    """Reopen a closed thread (solved again when it has an accepted answer)."""
    permissions.require_moderator(moderator)
    if thread.status != "closed":
        raise DomainError((None, "The thread is not closed."))
    thread.status = "solved" if thread.accepted_post_id else "open"
    details = f"was a duplicate of thread {thread.duplicate_of_id}" if thread.duplicate_of_id else ""
    thread.duplicate_of_id = None
    audit.record(moderator, "thread.reopen", "thread", thread.id, reason, details)
    db.session.commit()


def hide_thread(moderator: User, thread: Thread, reason: str, commit: bool = True) -> None:
    """Hide a thread from everyone but its author and the moderators; tell the author why."""
    permissions.require_moderator(moderator)
    thread.is_hidden, thread.hidden_reason = True, _reason_required(reason)
    notify.tell_id(thread.author_id, "thread_hidden", thread=thread, detail=thread.hidden_reason)
    audit.record(moderator, "thread.hide", "thread", thread.id, thread.hidden_reason)
    if commit:
        db.session.commit()


def unhide_thread(moderator: User, thread: Thread, reason: str = "", commit: bool = True) -> None:
    """Show a hidden thread again and tell its author."""
    permissions.require_moderator(moderator)
    thread.is_hidden, thread.hidden_reason = False, ""
    notify.tell_id(thread.author_id, "thread_visible", thread=thread)
    audit.record(moderator, "thread.unhide", "thread", thread.id, reason)
    if commit:
        db.session.commit()


def hidden_holder(post: Post):
    """What carries a post's hidden state: the thread for an opening post, else the post.

    The opening post is the thread's body, shown in lists, feeds, search snippets and
    the API; hiding the whole thread is the only way to take it out of all of them.
    """
    return post.thread if post.is_opening else post


def hide_post(moderator: User, post: Post, reason: str, commit: bool = True) -> None:
    """Hide a post's body from others (the whole thread for an opening post); tell the author."""
    if post.is_opening:
        return hide_thread(moderator, post.thread, reason, commit)
    permissions.require_moderator(moderator)
    post.is_hidden, post.hidden_reason = True, _reason_required(reason)
    notify.tell_id(post.author_id, "post_hidden", thread=post.thread, post=post,
                   detail=post.hidden_reason)
    audit.record(moderator, "post.hide", "post", post.id, post.hidden_reason)
    if commit:
        db.session.commit()


def unhide_post(moderator: User, post: Post, reason: str = "", commit: bool = True) -> None:
    """Show a hidden post (or, for an opening post, its thread) again and tell the author."""
    if post.is_opening:
        return unhide_thread(moderator, post.thread, reason, commit)
    permissions.require_moderator(moderator)
    post.is_hidden, post.hidden_reason = False, ""
    notify.tell_id(post.author_id, "post_visible", thread=post.thread, post=post)
    audit.record(moderator, "post.unhide", "post", post.id, reason)
    if commit:
        db.session.commit()


def move_thread(moderator: User, thread: Thread, category: Category, reason: str = "") -> None:
    """Move a thread to another category; its visibility follows the new category at once."""
    permissions.require_moderator(moderator)
    if category.id == thread.category_id:
        raise DomainError(("category", "The thread is in that category already."))
    details = f"from {thread.category.name} to {category.name}"
    # The category change queues the thread for the index (forum.searching.events).
    thread.category = category
    notify.on_thread_changed(thread, "moved", moderator)
    audit.record(moderator, "thread.move", "thread", thread.id, reason, details)
    db.session.commit()


def set_tags(moderator: User, thread: Thread, tags: str, reason: str = "") -> None:
    """Replace a thread's tags."""
    permissions.require_moderator(moderator)
    names = normalise_tags(tags or "")
    details = f"from [{', '.join(thread.tag_names)}] to [{', '.join(names)}]"
    thread.tags = tags_for(names)
    audit.record(moderator, "thread.tags", "thread", thread.id, reason, details)
    db.session.commit()
