"""The digest e-mail: what a member watches and the most-read new threads they may see.

The digest is a list of sections, each built by a function of (member, since, until) that
returns a Section or None; SECTIONS lists them in order, the "did it work?" follow-ups
first. Every builder must select through forum.permissions, because the digest is rendered
at send time for its one reader.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Optional

from flask import current_app, url_for
from sqlalchemy import String, and_, cast, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import permissions
from ..extensions import db
from ..learning.followups import pending_followups
from ..mail import outbox
from ..mail.compose import Cancel, Composed, render
from ..mail.smtp import MailNotConfigured, is_configured
from ..markup import snippet
from ..models import (
    DigestSubscription,
    OutboxMessage,
    Post,
    Tag,
    Thread,
    ThreadRead,
    User,
    Watch,
)
from ..models._base import utcnow
from ..models.content import thread_tags
from .emails import unsubscribe_url
from .inbox import unread_count
from .render import thread_link

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
SECTION_SIZE = 8


@dataclass
class DigestItem:
    """One thread in a section, with a short note ("3 new replies")."""

    thread: Thread
    note: str
    url: str = ""
    excerpt: str = ""


@dataclass
class Section:
    """A titled list of threads."""

    title: str
    items: list[DigestItem] = field(default_factory=list)


SectionBuilder = Callable[[User, datetime, datetime], Optional[Section]]


def _item(thread: Thread, note: str) -> DigestItem:
    opening = thread.opening_post
    return DigestItem(thread, note, thread_link(thread, external=True),
                      snippet(opening.body, 240) if opening is not None else "")


def _replies_between(user: User, since: datetime, until: datetime):
    """Replies others posted in the window that this member may read."""
    return (select(Post.thread_id, func.count(Post.id).label("n"))
            .where(Post.is_opening.is_(False), Post.author_id != user.id,
                   Post.created_at > since, Post.created_at <= until,
                   permissions.post_clause(user))
            .group_by(Post.thread_id).subquery())


def watched_replies(user: User, since: datetime, until: datetime) -> Optional[Section]:
    """Threads the member watches (their own unless muted) with new replies."""
    replies = _replies_between(user, since, until)
    this_thread = and_(Watch.user_id == user.id, Watch.kind == "thread",
                       Watch.value == cast(Thread.id, String))
    watched = exists().where(this_thread, Watch.level == "watching")
    muted = exists().where(this_thread, Watch.level == "muted")
    rows = db.session.execute(
        permissions.visible_threads(user).add_columns(replies.c.n)
        .join(replies, replies.c.thread_id == Thread.id)
        .where(or_(watched, and_(Thread.author_id == user.id, ~muted)))
        .order_by(replies.c.n.desc(), Thread.id).limit(SECTION_SIZE)).all()
    items = [_item(t, f"{n} new repl{'y' if n == 1 else 'ies'}") for t, n in rows]
    return Section("New replies in threads you watch", items) if items else None


def watched_new_threads(user: User, since: datetime, until: datetime) -> Optional[Section]:
    """New threads in the categories, tags and countries the member watches."""
    watches = db.session.execute(select(Watch.kind, Watch.value).where(
        Watch.user_id == user.id, Watch.level == "watching",
        Watch.kind.in_(("category", "tag", "country")))).all()
    if not watches:
        return None
    cats = [int(v) for k, v in watches if k == "category" and v.isdigit()]
    tags = [v for k, v in watches if k == "tag"]
    countries = [v for k, v in watches if k == "country"]  # stored as place_key
    tagged = exists().where(thread_tags.c.thread_id == Thread.id,
                            thread_tags.c.tag_id == Tag.id, Tag.name.in_(tags))
    stmt = (permissions.visible_threads(user)
            .where(Thread.created_at > since, Thread.created_at <= until,
                   Thread.author_id != user.id,
                   or_(Thread.category_id.in_(cats), tagged,
                       Thread.country_key.in_(countries)))
            .order_by(Thread.created_at.desc()).limit(SECTION_SIZE))
    items = [_item(t, f"in {t.category.name}") for t in db.session.scalars(stmt)]
    return Section("New threads in what you watch", items) if items else None


def waiting_followups(user: User, since: datetime, until: datetime) -> Optional[Section]:
    """"Did it work?" questions put to the member in this period and still unanswered.

    Each appears in the digest of the period it was asked in, once; pending_followups keeps
    only threads the member may still read.
    """
    asked = [f for f in pending_followups(user) if since < f.asked_at <= until]
    answer_at = url_for("learning.followups_page", _external=True)
    items = [DigestItem(f.thread, _followup_note(f), answer_at) for f in asked[:SECTION_SIZE]]
    return Section("Did it work? Tell the community in one click", items) if items else None


def _followup_note(followup) -> str:
    if followup.subject == "adaptation":
        return "your team adapted this"
    return "you accepted an answer here"


def most_read(user: User, since: datetime, until: datetime) -> Optional[Section]:
    """The new threads most members opened, among those this member may see."""
    readers = (select(ThreadRead.thread_id, func.count().label("n"))
               .group_by(ThreadRead.thread_id).subquery())
    stmt = (permissions.visible_threads(user).add_columns(func.coalesce(readers.c.n, 0))
            .outerjoin(readers, readers.c.thread_id == Thread.id)
            .where(Thread.created_at > since, Thread.created_at <= until,
                   Thread.author_id != user.id)
            .order_by(func.coalesce(readers.c.n, 0).desc(), Thread.reply_count.desc(),
                      Thread.id.desc()).limit(5))
    items = [_item(t, f"read by {n} member{'s' if n != 1 else ''}" if n else "new")
             for t, n in db.session.execute(stmt).all()]
    return Section("Most-read new threads", items) if items else None


# The digest's sections, in order.
SECTIONS: list[SectionBuilder] = [waiting_followups, watched_replies, watched_new_threads,
                                  most_read]


def sections_for(user: User, since: datetime, until: datetime) -> list[Section]:
    """Every non-empty section for the member, each thread listed once."""
    seen: set[int] = set()
    found = []
    for build in SECTIONS:
        section = build(user, since, until)
        if section is None:
            continue
        section.items = [i for i in section.items if i.thread.id not in seen]
        seen.update(i.thread.id for i in section.items)
        if section.items:
            found.append(section)
    return found


def period_key(frequency: str, now: datetime) -> str:
    """The period a digest belongs to: "daily:2026-05-04" or "weekly:2026-W18"."""
    if frequency == "weekly":
        year, week, _ = now.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    return f"daily:{now:%Y-%m-%d}"


def _window_start(user: User, frequency: str, now: datetime) -> datetime:
    """News since the member's last digest (at most two periods back), else one period."""
    last = db.session.scalar(select(func.max(OutboxMessage.created_at)).where(
        OutboxMessage.user_id == user.id, OutboxMessage.kind == "digest"))
    if last is None:
        return now - PERIODS[frequency]
    return max(last, now - 2 * PERIODS[frequency])


def queue_due(now: Optional[datetime] = None) -> int:
    """Queue this period's digest for each subscriber; a second run in the period adds none."""
    if not is_configured(current_app.config):
        raise MailNotConfigured("MAIL_SERVER is not set.")
    now = now or utcnow()
    subs = db.session.execute(select(DigestSubscription.frequency, User).join(
        User, User.id == DigestSubscription.user_id).where(
        User.email.is_not(None), User.is_placeholder.is_(False))).all()
    queued = 0
    for frequency, user in subs:
        key = f"digest:{period_key(frequency, now)}:{user.id}"
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)):
            continue
        outbox.enqueue(user, "digest", dedup_key=key,
                       window_start=_window_start(user, frequency, now))
        try:
            db.session.commit()
            queued += 1
        except IntegrityError:  # a concurrent run queued this member's digest first
            db.session.rollback()
    return queued


def compose(row: OutboxMessage) -> Composed:
    """The digest for its one reader, from what they may see at send time."""
    user = row.user
    sub = db.session.get(DigestSubscription, user.id)
    if sub is None:
        raise Cancel("the member switched the digest off")
    sections = sections_for(user, row.window_start or row.created_at - PERIODS[sub.frequency],
                            row.created_at)
    if not sections:
        raise Cancel("nothing new for this member")
    unsubscribe = unsubscribe_url(user, "digest")
    text, html = render("digest", sections=sections, recipient=user, frequency=sub.frequency,
                        unread=unread_count(user), unsubscribe_url=unsubscribe,
                        settings_url=url_for("notifications.settings_page", _external=True),
                        inbox_url=url_for("notifications.index", _external=True))
    return Composed(f"Your {sub.frequency} Headstart digest", text, html, unsubscribe, bulk=True)
