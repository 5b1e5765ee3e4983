"""Profiles, contribution counts and saved threads; counts respect the viewer's permissions."""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from .. import permissions
from ..accounts import check_public_names
from ..domain import DomainError
from ..extensions import db
from ..models import Bookmark, Category, FeaturedPractice, Post, Thread, User, Vote

# Longest allowed value of each profile field (the columns are sized to match).
PROFILE_LIMITS = {
    "display_name": 100, "country": 100, "organisation": 150, "expertise": 300, "bio": 2000,
}


@dataclass
class Contributions:
    """Plain counts of what a member contributed, as one viewer may see it."""

    threads: int = 0
    answers: int = 0
    accepted: int = 0
    helpful_votes: int = 0
    featured: int = 0


def find_user(username: str) -> Optional[User]:
    """The account with this username, compared case-insensitively (usernames are stored lowercase)."""
    return db.session.scalar(
        select(User).where(User.username == (username or "").strip().lower()))


def _visible_posts_by(viewer, author: User):
    """Posts by `author` that `viewer` may read, in threads `viewer` may see."""
    # Deleted posts are no contribution, even for moderators who can still read them.
    return (select(Post.id).join(Thread, Post.thread_id == Thread.id)
            .join(Category, Thread.category_id == Category.id)
            .where(Post.author_id == author.id, Post.deleted_at.is_(None),
                   permissions.thread_clause(viewer), permissions.post_clause(viewer)))


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def contributions(viewer, author: User) -> Contributions:
    """Counts of the author's threads, answers, accepted answers, votes and featured threads."""
    posts = _visible_posts_by(viewer, author)
    replies = posts.where(Post.is_opening.is_(False))
    featured_with_post = posts.where(Post.thread_id == FeaturedPractice.thread_id).exists()
    return Contributions(
        threads=_count(permissions.visible_threads(viewer).where(Thread.author_id == author.id)),
        answers=_count(replies),
        accepted=_count(replies.where(Thread.accepted_post_id == Post.id)),
        # Votes on one's own posts do not count as help received.
        helpful_votes=_count(select(Vote.id).where(
            Vote.post_id.in_(posts), Vote.user_id != author.id)),
        featured=_count(select(FeaturedPractice.thread_id).where(featured_with_post).distinct()),
    )


def recent_threads(viewer, author: User, limit: int = 10) -> list[Thread]:
    """The author's latest threads that the viewer may see."""
    stmt = (permissions.visible_threads(viewer).where(Thread.author_id == author.id)
            .options(selectinload(Thread.tags), selectinload(Thread.category))
            .order_by(Thread.created_at.desc(), Thread.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def saved_threads(user: User, page: int, per_page: int):
    """A page of the user's bookmarked threads that they may still see, latest saved first."""
    stmt = (permissions.visible_threads(user)
            .join(Bookmark, and_(Bookmark.thread_id == Thread.id, Bookmark.user_id == user.id))
            .options(selectinload(Thread.tags), selectinload(Thread.category),
                     selectinload(Thread.author))
            .order_by(Bookmark.created_at.desc(), Bookmark.id.desc()))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def update_profile(user: User, **fields: str) -> User:
    """Change the profile fields given; every too-long field is reported at once."""
    if user.is_suspended:
        # A suspended account could otherwise keep posting through its bio.
        raise DomainError((None, "Your account is suspended; you can edit your profile "
                                 "when the suspension ends."))
    values, reasons = {}, []
    for name, value in fields.items():
        if name not in PROFILE_LIMITS:
            raise ValueError(f"not a profile field: {name}")
        values[name] = (value or "").strip()
        if len(values[name]) > PROFILE_LIMITS[name]:
            reasons.append((name, f"Use at most {PROFILE_LIMITS[name]:,} characters."))
    # Only what changes is checked: a name kept from before the rules stays editable around.
    changed = {k: v for k, v in values.items() if v != getattr(user, k)}
    reasons += check_public_names(user, changed.get("display_name", ""),
                                  changed.get("organisation", ""))
    if reasons:
        raise DomainError(*reasons)
    for name, value in values.items():
        setattr(user, name, value)
    db.session.commit()
    return user
