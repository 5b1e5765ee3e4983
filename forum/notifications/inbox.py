"""A member's inbox: the notifications they may see, unread counts, marking read."""
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import events, permissions
from ..extensions import db
from ..models import Category, Notification, Post, Thread, ThreadRead, User
from ..models._base import utcnow
from .kinds import CONTENT_KINDS

READ_NOTE_EVERY = timedelta(hours=1)  # how stale a visit's last_read_at may be before it moves


def visible(user: User):
    """A select() of the member's notifications that they may see now (SQL twin of may_see)."""
    # A post moved to another thread counts where it is now, as render.may_see does.
    subject_thread = func.coalesce(Post.thread_id, Notification.thread_id)
    about_nothing = and_(Notification.thread_id.is_(None), Notification.post_id.is_(None))
    return (
        select(Notification)
        .outerjoin(Post, Post.id == Notification.post_id)
        .outerjoin(Thread, Thread.id == subject_thread)
        .outerjoin(Category, Category.id == Thread.category_id)
        .where(Notification.user_id == user.id, Notification.web.is_(True),
               or_(about_nothing, and_(Thread.id.is_not(None), permissions.thread_clause(user))),
               or_(Notification.kind.not_in(sorted(CONTENT_KINDS)),
                   and_(Post.id.is_not(None), permissions.post_clause(user))))
    )


def unread_count(user: User) -> int:
    """Unread notifications the member may see (what the header badge shows)."""
    stmt = visible(user).where(Notification.read_at.is_(None))
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def page_of(user: User, page: int, per_page: int):
    """A page of the member's visible notifications, newest first."""
    stmt = visible(user).order_by(Notification.created_at.desc(), Notification.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def mark_all_read(user: User) -> None:
    """Mark every notification of the member as read."""
    db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()


@events.thread_viewed.connect
def record_visit(thread: Thread, user: User) -> None:
    """The member opened the thread: its notifications are read, and the visit is counted.

    A view that changes nothing writes nothing: no notification unread, the visit already
    counted and noted less than ``READ_NOTE_EVERY`` ago. (It used to commit on every view,
    so each page a member read took SQLite's write lock beside the forum's writers.)"""
    now = utcnow()
    unread = (Notification.user_id == user.id, Notification.read_at.is_(None),
              Notification.thread_id == thread.id)
    changed = db.session.scalar(select(Notification.id).where(*unread).limit(1)) is not None
    if changed:
        db.session.execute(update(Notification).where(*unread).values(read_at=now))
    read = db.session.get(ThreadRead, (user.id, thread.id))
    if read is None:
        db.session.add(ThreadRead(user_id=user.id, thread_id=thread.id, first_read_at=now,
                                  last_read_at=now))
    elif read.last_read_at <= now - READ_NOTE_EVERY:
        read.last_read_at = now
    elif not changed:
        return
    try:
        db.session.commit()
    except IntegrityError:  # the same member's other tab counted this visit first
        db.session.rollback()
