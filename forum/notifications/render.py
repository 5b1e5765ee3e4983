"""Notifications as their reader may see them now: rendered when read, through permissions.

Nothing here reads a stored title: the thread, post and category come from the database
at the moment of reading, and a notification about something the reader may no longer
see renders as nothing at all (issue 11).
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from flask import url_for

from .. import permissions
from ..models import Notification, Post, Thread, User
from ..threads.importer import slugify
from .kinds import CONTENT_KINDS, NOTICE, REPLY_KINDS


@dataclass
class Item:
    """One line of the inbox or one e-mail: `lead`, the linked thread title, then `tail`."""

    kind: str
    lead: str
    title: Optional[str]
    tail: str
    url: str
    created_at: datetime
    unread: bool
    thread: Optional[Thread] = None
    post: Optional[Post] = None
    ids: list[int] = field(default_factory=list)

    @property
    def plain(self) -> str:
        """The sentence as plain text (e-mail subjects and text parts)."""
        title = f"“{self.title}”" if self.title else ""
        return f"{self.lead}{title}{self.tail}".strip()


def _where(n: Notification, thread: Thread) -> str:
    kind, _, value = n.detail.partition(":")
    if kind == "tag":
        return f" (tagged #{value}, which you watch)."
    if kind == "country":
        return f" (about {thread.country}, which you watch)."
    return f" in {thread.category.name}, which you watch."


def _duplicate_tail(reader: User, thread: Thread) -> str:
    original = thread.duplicate_of
    if original is not None and permissions.can_view_thread(reader, original):
        return f" was closed as a duplicate of “{original.title}”."
    return " was closed as a duplicate of another thread."


def _phrase(reader: User, n: Notification, thread: Optional[Thread]) -> tuple[str, str]:
    """(lead, tail) around the thread's title for this kind."""
    actor = n.actor.name if n.actor is not None else "Someone"
    reason = f": {n.detail}" if n.detail else "."
    phrases = {
        "reply": (f"{actor} replied to your thread ", ""),
        "reply_to_post": (f"{actor} replied to your post in ", ""),
        "mention": (f"{actor} mentioned you in ", ""),
        "accepted": (f"{actor} accepted your answer in ", ""),
        "watch_reply": (f"{actor} replied in ", ""),
        "watch_accepted": ("", " has an accepted answer."),
        "featured": ("Your thread ", " is now a featured practice."),
        "flag_outcome": ("Thank you for your flag in ", reason),
        "post_hidden": ("Your post in ", f" was hidden by a moderator{reason}"),
        "post_auto_hidden": ("Your post in ",
                             " is hidden until a moderator reviews the flags on it."),
        "post_visible": ("Your post in ", " is visible again."),
        "thread_hidden": ("Your thread ", f" was hidden by a moderator{reason}"),
        "thread_visible": ("Your thread ", " is visible again."),
    }
    if n.kind in phrases:
        return phrases[n.kind]
    if n.kind == "moved":
        return "Your thread ", f" was moved to {thread.category.name}."
    if n.kind == "duplicate":
        return "Your thread ", _duplicate_tail(reader, thread)
    if n.kind == "watch_thread":
        return f"{actor} started ", _where(n, thread)
    return n.detail, ""  # a notice: the forum's own words


def _subject(n: Notification) -> tuple[Optional[Thread], Optional[Post]]:
    """The thread and post a notification is about; a moved post counts where it is now."""
    post = n.post
    return (post.thread if post is not None else n.thread), post


def may_see(reader: User, n: Notification) -> bool:
    """True when the reader may see what the notification is about, right now."""
    thread, post = _subject(n)
    if n.thread_id is not None or n.post_id is not None:
        if thread is None or not permissions.can_view_thread(reader, thread):
            return False
    if n.kind in CONTENT_KINDS:
        return post is not None and permissions.can_view_post(reader, post)
    return True


def thread_link(thread: Thread, post: Optional[Post] = None, external: bool = False) -> str:
    """The thread's address (with the post's anchor)."""
    url = url_for("threads.show", thread_id=thread.id, slug=slugify(thread.title)[:80],
                  _external=external)
    return url + (f"#post-{post.id}" if post is not None else "")


def describe(reader: User, n: Notification, external: bool = False) -> Optional[Item]:
    """The notification as the reader may see it now, or None when they may not see it."""
    if not may_see(reader, n):
        return None
    thread, post = _subject(n)
    lead, tail = _phrase(reader, n, thread)
    if n.kind == NOTICE:
        title = None
    else:
        title = thread.title if thread is not None else None
    url = thread_link(thread, post, external) if thread is not None else ""
    return Item(n.kind, lead, title, tail, url, n.created_at, n.read_at is None,
                thread, post, [n.id])


def grouped(reader: User, rows: list[Notification]) -> list[Item]:
    """Describe rows (newest first), folding unread replies in one thread into one line."""
    items: list[Item] = []
    folded: dict[int, Item] = {}
    for n in rows:
        item = describe(reader, n)
        if item is None:
            continue
        key = item.thread.id if (item.unread and n.kind in REPLY_KINDS and item.thread) else None
        if key is not None and key in folded:
            _fold(folded[key], item)
            continue
        if key is not None:
            folded[key] = item
        items.append(item)
    return items


def _fold(into: Item, item: Item) -> None:
    """Count one more reply into a grouped line; it links to the oldest unread reply."""
    into.ids.append(item.ids[0])
    mine = into.kind == "reply" or item.kind == "reply"
    into.kind = "reply" if mine else into.kind
    into.lead = f"{len(into.ids)} new replies in {'your thread ' if mine else ''}"
    into.tail = ""
    into.url, into.post = item.url, item.post
