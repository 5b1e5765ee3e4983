"""Demo watches and notifications, so the inbox and "What you watch" have something to show.

Idempotent like the rest of the demo: a second load adds nothing it added before.
"""
from sqlalchemy import select

from ..extensions import db
from ..models import Category, Notification, Post, Tag, Thread, User, Watch
from ..names import place_key
from ..notifications.services import tell


def _watch(user: User, kind: str, value: str) -> bool:
    exists = db.session.scalar(select(Watch.id).where(
        Watch.user_id == user.id, Watch.kind == kind, Watch.value == value))
    if exists is None:
        db.session.add(Watch(user_id=user.id, kind=kind, value=value))
    return exists is None


def _target(demo, kind: str, value: str):
    """A watch's stored value from the demo's names (thread external ids, category names)."""
    if kind == "thread":
        thread = demo.threads.get(value)
        return str(thread.id) if thread else None
    if kind == "category":
        category_id = db.session.scalar(select(Category.id).where(Category.name == value))
        return str(category_id) if category_id else None
    return place_key(value) if kind == "country" else value


def _tell_once(user: User, kind: str, thread: Thread, post=None, actor=None, detail="") -> int:
    same_post = (Notification.post_id == post.id) if post is not None \
        else Notification.post_id.is_(None)
    seen = db.session.scalar(select(Notification.id).where(
        Notification.user_id == user.id, Notification.kind == kind,
        Notification.thread_id == thread.id, same_post))
    if seen is not None:
        return 0
    tell(user, kind, thread=thread, post=post, actor=actor, detail=detail)
    return 1


def _news_for(user: User, tag: str) -> int:
    """Replies to the member's latest threads, accepted answers, new threads with a watched tag."""
    added = 0
    mine = db.session.scalars(select(Thread).where(
        Thread.author_id == user.id, Thread.external_id.like("demo-%"))
        .order_by(Thread.created_at.desc()).limit(2))
    for thread in mine:
        for post in [p for p in thread.posts if p.author_id != user.id][-2:]:
            added += _tell_once(user, "reply", thread, post, post.author)
    accepted = db.session.scalars(select(Post).join(Thread, Thread.accepted_post_id == Post.id)
                                  .where(Post.author_id == user.id).order_by(Post.id).limit(2))
    for post in accepted:
        added += _tell_once(user, "accepted", post.thread, post, post.thread.author)
    tagged = db.session.scalars(select(Thread).join(Thread.tags).where(
        Tag.name == tag, Thread.author_id != user.id).order_by(Thread.created_at.desc()).limit(2))
    for thread in tagged:
        added += _tell_once(user, "watch_thread", thread, thread.opening_post, thread.author,
                            f"tag:{tag}")
    return added


def apply(demo) -> int:
    """Add the demo's watches and some notifications; returns how many notifications were new."""
    added = 0
    for username, watches in demo.spec["watches"].items():
        user = demo.users.get(username)
        if user is None:
            continue
        for kind, name in watches:
            value = _target(demo, kind, name)
            if value is not None:
                _watch(user, kind, value)
        tags = [name for kind, name in watches if kind == "tag"]
        if tags:
            added += _news_for(user, tags[0])
    db.session.commit()
    return added
