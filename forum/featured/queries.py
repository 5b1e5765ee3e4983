"""The featured library: permission-aware, filtered, newest first."""
from dataclasses import dataclass

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..models import Adaptation, Category, FeaturedPractice, Tag, Thread
from ..names import place_key
from ..models.content import thread_tags

# Newest first, most often adapted, or most often reported to have worked (issue 10).
SORTS = ("newest", "adapted", "worked")


@dataclass
class LibraryFilters:
    """Filters of /featured from the query string."""

    category: str = ""
    country: str = ""
    tag: str = ""
    sort: str = "newest"

    @classmethod
    def from_args(cls, args) -> "LibraryFilters":
        """Build from request args, trimmed to sane lengths."""
        sort = args.get("sort", "")
        return cls(category=args.get("category", "").strip()[:120],
                   country=args.get("country", "").strip()[:100],
                   tag=args.get("tag", "").strip().lower()[:50],
                   sort=sort if sort in SORTS else "newest")

    def as_args(self) -> dict:
        """The active filters (and a sort other than newest) as query-string arguments."""
        return {k: v for k, v in vars(self).items() if v and not (k == "sort" and v == "newest")}


def _visible(user):
    """Featured practices whose thread this user may see; never hidden ones for non-moderators."""
    stmt = (select(FeaturedPractice).join(FeaturedPractice.thread).join(Thread.category)
            .where(permissions.thread_clause(user)))
    if not permissions.is_moderator(user):
        # Stricter than thread lists: an author's own hidden thread stays out of the library.
        stmt = stmt.where(Thread.is_hidden.is_(False), Thread.deleted_at.is_(None))
    return stmt


def library(user, f: LibraryFilters, page: int, per_page: int):
    """A page of featured practices this user may see, newest first."""
    stmt = _visible(user)
    if f.category:
        stmt = stmt.where(Category.slug == f.category)
    if f.country:
        stmt = stmt.where(Thread.country_key == place_key(f.country))
    if f.tag:
        stmt = stmt.where(exists().where(
            thread_tags.c.thread_id == Thread.id, thread_tags.c.tag_id == Tag.id, Tag.name == f.tag))
    stmt = stmt.options(
        selectinload(FeaturedPractice.thread).selectinload(Thread.tags),
        selectinload(FeaturedPractice.thread).selectinload(Thread.category),
    ).order_by(*_order(stmt, f.sort), FeaturedPractice.created_at.desc(),
               FeaturedPractice.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _order(stmt, sort: str) -> list:
    """Sort keys for "adapted" and "worked"; a featured thread is visible, so all its
    adaptations count."""
    if sort == "newest":
        return []
    adapted = (select(func.count(Adaptation.id)).where(Adaptation.thread_id == Thread.id)
               .correlate(Thread).scalar_subquery())
    worked = (select(func.coalesce(func.sum(case((Adaptation.outcome == "worked", 1), else_=0)), 0))
              .where(Adaptation.thread_id == Thread.id).correlate(Thread).scalar_subquery())
    return [adapted.desc(), worked.desc()] if sort == "adapted" else [worked.desc(), adapted.desc()]


def facets(user) -> dict[str, list]:
    """Categories, countries and tags present in the library this user sees, for the filters."""
    ids = _visible(user).with_only_columns(Thread.id).subquery()
    categories = db.session.scalars(select(Category).join(Thread).where(Thread.id.in_(select(ids)))
                                    .distinct().order_by(Category.position, Category.name))
    countries = db.session.scalars(select(Thread.country).where(
        Thread.id.in_(select(ids)), Thread.country != "").distinct().order_by(Thread.country))
    tags = db.session.scalars(select(Tag.name).join(thread_tags, thread_tags.c.tag_id == Tag.id)
                              .where(thread_tags.c.thread_id.in_(select(ids)))
                              .distinct().order_by(Tag.name))
    return {"categories": list(categories), "countries": list(countries), "tags": list(tags)}
