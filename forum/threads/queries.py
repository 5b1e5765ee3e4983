"""Read-side queries for listings: permission-aware, filtered, paginated."""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import case, or_, select
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..models import OUTCOMES, Category, Post, PostRevision, Thread
from ..models._base import utcnow
from ..web import cache
from .filters import SearchFilters, normalise_period

STATUS_FILTERS = ("open", "solved", "closed", "unanswered")


@dataclass
class ThreadFilters(SearchFilters):
    """The listing filters: the search filters, read leniently from the query string."""

    @classmethod
    def from_args(cls, args, category: Optional[Category] = None) -> "ThreadFilters":
        """Build from request args, ignoring values that are not allowed."""
        kind = args.get("kind", "")
        status = args.get("status", "")
        outcome = args.get("outcome", "")
        try:
            period = normalise_period(args.get("period", "")) if args.get("period") else ""
        except ValueError:
            period = ""
        return cls(
            category=category,
            tag=args.get("tag", "").strip().lower()[:50],
            country=args.get("country", "").strip()[:100],
            kind=kind if kind in ("question", "experience") else "",
            status=status if status in STATUS_FILTERS else "",
            outcome=outcome if outcome in OUTCOMES else "",
            theme=args.get("theme", "").strip()[:100], period=period,
        )

    def as_args(self) -> dict:
        """The active filters as query-string arguments."""
        return {k: v for k, v in (("tag", self.tag), ("country", self.country),
                                  ("kind", self.kind), ("status", self.status),
                                  ("outcome", self.outcome), ("theme", self.theme),
                                  ("period", self.period)) if v}


def list_threads(user, filters: ThreadFilters, page: int, per_page: int):
    """A page of threads this user may see, pinned first, then latest activity."""
    now = utcnow()
    pin_scope = "category" if filters.category is not None else "site"
    pinned = case((
        (Thread.pinned_scope.in_(("site", pin_scope)))
        & or_(Thread.pinned_until.is_(None), Thread.pinned_until > now), 0), else_=1)
    stmt = filters.apply(permissions.visible_threads(user)).options(
        selectinload(Thread.tags), selectinload(Thread.category), selectinload(Thread.author),
        selectinload(Thread.experience), selectinload(Thread.featured),
    ).order_by(pinned, Thread.last_activity_at.desc(), Thread.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def thread_posts(user, thread: Thread, page: int, per_page: int):
    """A page of the thread's posts; deleted and hidden ones show as placeholders."""
    stmt = (select(Post).where(Post.thread_id == thread.id)
            .options(selectinload(Post.author),
                     # "edited" needs only whether a revision exists, never their bodies
                     selectinload(Post.revisions).load_only(PostRevision.id),
                     selectinload(Post.reply_to).selectinload(Post.author))
            .order_by(Post.id))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def countries(user) -> list[str]:
    """Countries that appear on threads this user may see, for the filter list (kept briefly)."""
    return cache.remember("countries", user, lambda: _countries(user))


def _countries(user) -> list[str]:
    stmt = (permissions.visible_threads(user).with_only_columns(Thread.country)
            .where(Thread.country != "").distinct().order_by(Thread.country))
    return list(db.session.scalars(stmt))
