"""Who may see what: one place, used by pages, search, feeds and the API.

Security note: every channel that shows a thread (lists, thread page, similar and
related threads, search, API) must go through these functions, so a restricted
category can never leak through a side door.
"""
import threading

from cachetools import LRUCache, cached
from flask_login import AnonymousUserMixin
from sqlalchemy import and_, false, or_, select, true

from .domain import NotAllowed
from .models import Category, Post, Thread


def _is_member(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_moderator(user) -> bool:
    """Moderators and admins."""
    return _is_member(user) and user.is_moderator


def visibility_key(user) -> tuple:
    """Who this user is for what they may see: equal keys see the same threads and posts.

    Caches of visible content are keyed by it (forum/web/cache.py). A member's own hidden
    threads are visible to them alone, so members are keyed by their id as well.
    """
    if is_moderator(user):
        return ("moderator",)
    if not _is_member(user):
        return ("guest",)
    return ("member", user.id, tuple(sorted(user.group_ids())))


def category_clause(user):
    """SQL condition on Category: the categories this user may read."""
    if is_moderator(user):
        return true()
    if not _is_member(user):
        return Category.visibility == "public"
    group_ids = list(user.group_ids())
    in_group = (
        and_(Category.visibility == "group", Category.group_id.in_(group_ids))
        if group_ids else false()
    )
    return or_(Category.visibility.in_(("public", "members")), in_group)


def can_view_category(user, category) -> bool:
    """True when this user may read threads in the category."""
    if category.visibility == "public" or is_moderator(user):
        return True
    if not _is_member(user):
        return False
    if category.visibility == "members":
        return True
    return category.group_id is not None and category.group_id in user.group_ids()


def thread_clause(user):
    """SQL condition on Thread (joined to Category): threads this user may list or find."""
    visible = and_(category_clause(user), Thread.deleted_at.is_(None))
    if is_moderator(user):
        return visible
    if _is_member(user):
        return and_(visible, or_(Thread.is_hidden.is_(False), Thread.author_id == user.id))
    return and_(visible, Thread.is_hidden.is_(False))


def visible_threads(user):
    """A select() of Thread joined to Category, restricted to what this user may see."""
    return select(Thread).join(Thread.category).where(thread_clause(user))


# Statements built from a user's visibility, kept per visibility key: building a select with
# its permission clause costs more Python than running it (suggestions build three per
# request). A statement is immutable, so one object serves every thread of the process.
PREPARED_MAX = 512


@cached(LRUCache(PREPARED_MAX), key=lambda user, name, build: (name, visibility_key(user)),
        lock=threading.Lock())
def prepared(user, name: str, build):
    """``build(user)``, made once per (name, visibility key) and reused.

    The statement may depend on the user only through what ``visibility_key`` captures (the
    clauses above); everything else that varies must be a bind parameter (e.g. an expanding
    ``bindparam("ids")``), passed when the statement is executed.
    """
    return build(user)


def can_view_thread(user, thread) -> bool:
    """True when this user may open the thread page."""
    if not can_view_category(user, thread.category):
        return False
    if is_moderator(user):
        return True
    if thread.is_deleted:
        return False
    if thread.is_hidden:
        return _is_member(user) and thread.author_id == user.id
    return True


def can_view_post(user, post: Post) -> bool:
    """True when this user may read the post's body (thread access is checked apart)."""
    if is_moderator(user):
        return True
    if post.is_deleted:
        return False
    if post.is_hidden:
        return _is_member(user) and post.author_id == user.id
    return True


def post_clause(user):
    """SQL condition on Post: posts whose body this user may read (SQL twin of can_view_post)."""
    if is_moderator(user):
        return true()
    visible = Post.deleted_at.is_(None)
    if _is_member(user):
        return and_(visible, or_(Post.is_hidden.is_(False), Post.author_id == user.id))
    return and_(visible, Post.is_hidden.is_(False))


def can_edit_post(user, post: Post) -> bool:
    """Authors edit their own posts; moderators edit any."""
    if not _is_member(user) or user.is_suspended:
        return False
    return is_moderator(user) or post.author_id == user.id


def can_post(user) -> bool:
    """Signed-in members who are not suspended may post."""
    return _is_member(user) and not user.is_suspended


class _CategoryReader:
    """A signed-in member with no role and no rows of their own, in the given groups only."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_moderator = False
    is_admin = False
    is_suspended = False
    id = 0  # no row has id 0: "their own hidden thread" never matches

    def get_id(self) -> None:
        """Not an account: nothing to remember in a session or a cache key."""
        return None

    def __init__(self, group_ids=()):
        self._group_ids = frozenset(group_ids)

    def group_ids(self) -> set[int]:
        """The one group a group category is open to (or none)."""
        return set(self._group_ids)


def category_reader(category):
    """The least-privileged reader of a category: what it may see, every reader may see.

    Security note: text written for a thread's readers (a consolidated reply quoting other
    threads) must only draw on content this reader may see, or it would carry a restricted
    thread's words to people who may not read it.
    """
    if category.visibility == "public":
        return AnonymousUserMixin()
    if category.visibility == "group" and category.group_id is not None:
        return _CategoryReader((category.group_id,))
    return _CategoryReader()


def require_moderator(user) -> None:
    """Raise NotAllowed unless the user is an active moderator or admin (services call it;
    views go through web.access.moderators_only)."""
    if not is_moderator(user) or user.is_suspended:
        raise NotAllowed("Only moderators can do that.")


def require_admin(user) -> None:
    """Raise NotAllowed unless the user is an active admin."""
    if not getattr(user, "is_authenticated", False) or not user.is_admin or user.is_suspended:
        raise NotAllowed("Only admins can do that.")
