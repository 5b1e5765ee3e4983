"""Watching threads, categories, tags and countries; members watch their own threads unasked."""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from .. import permissions
from ..domain import DomainError, NotAllowed
from ..extensions import db
from ..models import WATCH_KINDS, Category, Thread, User, Watch
from ..models._base import row_id
from ..names import place_key
from ..threads.services import normalise_tags


@dataclass
class Watched:
    """One of a member's watches, as they may see it now."""

    watch: Watch
    label: str
    target: object = None  # the Thread or Category watched, None for a tag or country


def _row(user_id: int, kind: str, value: str) -> Optional[Watch]:
    if kind == "country":
        value = place_key(value)  # stored as its key: "TÜRKIYE " and "Türkiye" are one watch
    return db.session.scalar(select(Watch).where(
        Watch.user_id == user_id, Watch.kind == kind, Watch.value == value))


def is_watching_thread(user: User, thread: Thread) -> bool:
    """True when the member gets the thread's replies: watched, or their own and not muted."""
    row = _row(user.id, "thread", str(thread.id))
    if row is not None:
        return row.level == "watching"
    return thread.author_id == user.id


def is_watching(user: User, kind: str, value: str) -> bool:
    """True when the member watches this category id, tag or country."""
    row = _row(user.id, kind, value)
    return row is not None and row.level == "watching"


def _target(user: User, kind: str, value: str) -> str:
    """The canonical value of a watch target; raises when it is not one the member may watch."""
    value = (value or "").strip()
    if kind not in WATCH_KINDS or not value:
        raise DomainError(("value", "Choose a thread, category, tag or country to watch."))
    if kind == "thread":
        thread = db.session.get(Thread, row_id(value)) if row_id(value) else None
        if thread is None or not permissions.can_view_thread(user, thread):
            raise NotAllowed("You cannot watch this thread.")
        return str(thread.id)
    if kind == "category":
        category = db.session.get(Category, row_id(value)) if row_id(value) else None
        if category is None or not permissions.can_view_category(user, category):
            raise NotAllowed("You cannot watch this category.")
        return str(category.id)
    if kind == "tag":
        names = normalise_tags([value])
        if not names:
            raise DomainError(("value", "Give a tag name."))
        return names[0]
    key = place_key(value)
    if len(key) > 100:
        raise DomainError(("value", "A country name has at most 100 characters."))
    return key


def set_watch(user: User, kind: str, value: str, on: bool) -> bool:
    """Watch or stop watching (idempotent); stopping on one's own thread mutes it."""
    value = _target(user, kind, value)
    row = _row(user.id, kind, value)
    own = kind == "thread" and db.session.get(Thread, int(value)).author_id == user.id
    if on:
        if row is None and not own:
            db.session.add(Watch(user_id=user.id, kind=kind, value=value))
        elif row is not None and own:
            db.session.delete(row)  # back to the default: one's own thread is watched
        elif row is not None:
            row.level = "watching"
    elif own:
        if row is None:
            db.session.add(Watch(user_id=user.id, kind=kind, value=value, level="muted"))
        else:
            row.level = "muted"
    elif row is not None:
        db.session.delete(row)
    try:
        db.session.commit()
    except IntegrityError:  # a double click raced us to the same row
        db.session.rollback()
    return on


def watched(user: User) -> list[Watched]:
    """The member's watches they may still see, threads first (muted ones are not listed)."""
    rows = db.session.scalars(select(Watch).where(
        Watch.user_id == user.id, Watch.level == "watching").order_by(Watch.kind, Watch.value))
    found = []
    for row in rows:
        if row.kind in ("thread", "category"):
            model = Thread if row.kind == "thread" else Category
            obj = db.session.get(model, int(row.value))
            allowed = obj is not None and (permissions.can_view_thread(user, obj)
                                           if row.kind == "thread"
                                           else permissions.can_view_category(user, obj))
            if allowed:
                found.append(Watched(row, obj.title if row.kind == "thread" else obj.name, obj))
        elif row.kind == "tag":
            found.append(Watched(row, "#" + row.value))
        else:
            found.append(Watched(row, _country_name(row.value)))
    order = {kind: i for i, kind in enumerate(WATCH_KINDS)}
    return sorted(found, key=lambda w: (order[w.watch.kind], w.label.lower()))


def _country_name(key: str) -> str:
    """A country watch's label: the name as a thread spells it (the watch stores its key)."""
    name = db.session.scalar(select(Thread.country).where(Thread.country_key == key).limit(1))
    return " ".join(name.split()) if name else key.title()


def watcher_ids(thread: Thread) -> set[int]:
    """Members who watch the thread itself (the author unless they muted it)."""
    rows = dict(db.session.execute(select(Watch.user_id, Watch.level).where(
        Watch.kind == "thread", Watch.value == str(thread.id))).all())
    ids = {uid for uid, level in rows.items() if level == "watching"}
    if rows.get(thread.author_id) != "muted":
        ids.add(thread.author_id)
    return ids


def target_watchers(thread: Thread) -> dict[int, str]:
    """Members watching the thread's category, a tag or its country: user id -> why."""
    conditions = [and_(Watch.kind == "category", Watch.value == str(thread.category.id))]
    names = [t.name for t in thread.tags]
    if names:
        conditions.append(and_(Watch.kind == "tag", Watch.value.in_(names)))
    if thread.country:
        conditions.append(and_(Watch.kind == "country", Watch.value == place_key(thread.country)))
    rows = db.session.execute(select(Watch.user_id, Watch.kind, Watch.value).where(
        Watch.level == "watching", or_(*conditions)).order_by(Watch.kind))
    why: dict[int, str] = {}
    for user_id, kind, value in rows:  # category sorts first: the broadest reason wins
        why.setdefault(user_id, "category" if kind == "category" else f"{kind}:{value}")
    return why
