"""A member's notifications: the outcome of their flags, reasons a post was hidden."""
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Notification, User
from ..models._base import utcnow


def unread_count(user: User) -> int:
    """Notifications the member has not seen yet."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def page_of(user: User, page: int, per_page: int):
    """A page of the member's notifications, newest first."""
    stmt = (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def mark_all_read(user: User) -> None:
    """Mark every notification of the member as read."""
    db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
