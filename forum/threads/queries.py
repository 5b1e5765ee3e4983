"""Read-side queries for listings: permission-aware, filtered, paginated."""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Category, Post, Tag, Thread, thread_tags
from ..models._base import utcnow
from .. import permissions

STATUS_FILTERS = ("open", "solved", "closed", "unanswered")


@dataclass
class ThreadFilters:
    """Filters a listing accepts from the query string."""

    category: Optional[Category] = None
    tag: str = ""
    country: str = ""
    kind: str = ""
    status: str = ""

    @classmethod
    def from_args(cls, args, category: Optional[Category] = None) -> "ThreadFilters":
        """Build from request args, ignoring values that are not allowed."""
        kind = args.get("kind", "")
        status = args.get("status", "")
        return cls(
            category=category,
            tag=args.get("tag", "").strip().lower()[:50],
            country=args.get("country", "").strip()[:100],
            kind=kind if kind in ("question", "experience") else "",
            status=status if status in STATUS_FILTERS else "",
        )

    def as_args(self) -> dict:
        """The active filters as query-string arguments."""
        return {k: v for k, v in (("tag", self.tag), ("country", self.country),
                                  ("kind", self.kind), ("status", self.status)) if v}


def _apply(stmt, f: ThreadFilters):
    if f.category is not None:
        stmt = stmt.where(Thread.category_id == f.category.id)
    if f.tag:
        stmt = stmt.where(exists().where(
            thread_tags.c.thread_id == Thread.id, thread_tags.c.tag_id == Tag.id, Tag.name == f.tag))
    if f.country:
        stmt = stmt.where(func.lower(Thread.country) == f.country.lower())
    if f.kind:
        stmt = stmt.where(Thread.kind == f.kind)
    if f.status == "unanswered":
        stmt = stmt.where(Thread.reply_count == 0, Thread.status != "closed")
    elif f.status:
        stmt = stmt.where(Thread.status == f.status)
    return stmt


def list_threads(user, filters: ThreadFilters, page: int, per_page: int):
    """A page of threads this user may see, pinned first, then latest activity."""
    now = utcnow()
    pin_scope = "category" if filters.category is not None else "site"
    pinned = case((
        (Thread.pinned_scope.in_(("site", pin_scope)))
        & or_(Thread.pinned_until.is_(None), Thread.pinned_until > now), 0), else_=1)
    stmt = _apply(permissions.visible_threads(user), filters).options(
        selectinload(Thread.tags), selectinload(Thread.category), selectinload(Thread.author),
    ).order_by(pinned, Thread.last_activity_at.desc(), Thread.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def thread_posts(user, thread: Thread, page: int, per_page: int):
    """A page of the thread's posts; deleted and hidden ones show as placeholders."""
    stmt = (select(Post).where(Post.thread_id == thread.id)
            .options(selectinload(Post.author)).order_by(Post.id))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def countries(user) -> list[str]:
    """Countries that appear on threads this user may see, for the filter list."""
    stmt = (permissions.visible_threads(user).with_only_columns(Thread.country)
            .where(Thread.country != "").distinct().order_by(Thread.country))
    return list(db.session.scalars(stmt))
