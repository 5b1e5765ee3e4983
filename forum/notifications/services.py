"""Who hears about what: notifications (and their e-mails) added in the caller's transaction.

Every function here adds rows and leaves the commit to the service that called it, so a
reply and its notifications are written together or not at all.
"""
from typing import Iterable, Optional

from flask import current_app
from sqlalchemy import select

from .. import events, permissions
from ..extensions import db
from ..mail import outbox
from ..models import Notification, Post, Thread, User
from .kinds import NOTICE, SETTING_OF
from .mentions import mentioned_users
from .settings import preferences
from .watches import target_watchers, watcher_ids


def tell(user: User, kind: str, *, thread: Optional[Thread] = None,
         post: Optional[Post] = None, actor: Optional[User] = None,
         detail: str = "") -> Optional[Notification]:
    """Add one notification, and queue its e-mail when the member wants that kind by e-mail."""
    if user is None or user.is_placeholder:
        return None
    setting = SETTING_OF.get(kind)
    choice = preferences(user)[setting.key] if setting else None
    web, email = (choice.web, choice.email) if choice else (True, False)
    if not (web or email):
        return None
    note = Notification(user=user, kind=kind, thread=thread, post=post, actor=actor,
                        detail=(detail or "")[:1000], web=web)
    db.session.add(note)
    if email and user.email:
        # The short wait lets a member who is reading the forum see it there instead.
        outbox.enqueue(user, "notification", notification=note,
                       delay=int(current_app.config.get("MAIL_DELAY") or 0))
    return note


def notice(user_id: int, text: str) -> Optional[Notification]:
    """An account message in the forum's own words (e.g. a suspension), about no thread."""
    return tell(db.session.get(User, user_id), NOTICE, detail=text)


def tell_id(user_id: int, kind: str, **about) -> Optional[Notification]:
    """tell() for a member known by id."""
    return tell(db.session.get(User, user_id), kind, **about)


class _Audience:
    """Members to tell about one event: one notification each, the most personal kind first."""

    def __init__(self, actor: Optional[User]):
        self.actor = actor
        self.kinds: dict[int, tuple[str, str]] = {}

    def add(self, user_ids: Iterable[int], kind: str, detail: str = "") -> None:
        for user_id in user_ids:
            if self.actor is None or user_id != self.actor.id:
                self.kinds.setdefault(user_id, (kind, detail))

    def tell(self, thread: Thread, post: Optional[Post]) -> None:
        """Notify each member who may read the thread (and post); nobody else hears of it."""
        if not self.kinds:
            return
        users = db.session.scalars(select(User).where(User.id.in_(list(self.kinds))))
        for user in users:
            if not permissions.can_view_thread(user, thread):
                continue
            if post is not None and not permissions.can_view_post(user, post):
                continue
            kind, detail = self.kinds[user.id]
            tell(user, kind, thread=thread, post=post, actor=self.actor, detail=detail)


def _mentioned(post: Post, before: str = "") -> list[int]:
    """Members the post mentions now but did not mention before an edit."""
    earlier = {u.id for u in mentioned_users(before)} if before else set()
    return [u.id for u in mentioned_users(post.body) if u.id not in earlier]


@events.thread_created.connect
def on_new_thread(thread: Thread) -> None:
    """Mentions in the opening post, and members watching its category, tags or country."""
    opening = thread.opening_post
    audience = _Audience(thread.author)
    audience.add(_mentioned(opening), "mention")
    for user_id, why in target_watchers(thread).items():
        audience.add([user_id], "watch_thread", why)
    audience.tell(thread, opening)


@events.reply_posted.connect
def on_reply(post: Post) -> None:
    """A reply: mentions, the replied-to post's author, the asker, then the thread's watchers."""
    thread = post.thread
    audience = _Audience(post.author)
    audience.add(_mentioned(post), "mention")
    if post.reply_to is not None:
        audience.add([post.reply_to.author_id], "reply_to_post")
    watchers = watcher_ids(thread)
    if thread.author_id in watchers:
        audience.add([thread.author_id], "reply")
    audience.add(sorted(watchers), "watch_reply")
    audience.tell(thread, post)


@events.post_edited.connect
def on_edit(post: Post, before: str) -> None:
    """Members newly mentioned by an edit (those mentioned before heard already)."""
    audience = _Audience(post.author)
    audience.add(_mentioned(post, before), "mention")
    audience.tell(post.thread, post)


def on_accepted(thread: Thread, post: Post, actor: User) -> None:
    """The answer's author, then the thread's watchers (the asker included)."""
    audience = _Audience(actor)
    audience.add([post.author_id], "accepted")
    audience.add(sorted(watcher_ids(thread)), "watch_accepted")
    audience.tell(thread, post)


def on_thread_changed(thread: Thread, kind: str, actor: User) -> None:
    """Tell the author their thread was featured, moved or closed as a duplicate."""
    audience = _Audience(actor)
    audience.add([thread.author_id], kind)
    audience.tell(thread, None)
