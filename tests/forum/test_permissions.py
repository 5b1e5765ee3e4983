"""forum.permissions: who may see and do what, in Python and in SQL."""
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from forum import permissions
from forum.extensions import db
from forum.models import Category, Post, Thread, User
from forum.models._base import utcnow
from tests.factories import (
    make_category, make_group, make_reply, make_thread, make_user,
)

GUEST = AnonymousUserMixin()
VIEWERS = ("guest", "member", "grouped", "author", "moderator", "admin")


@pytest.fixture
def world(app):
    """Three categories, each with a normal, a hidden and a deleted thread by `author`."""
    with app.app_context():
        author, grouped = make_user("author"), make_user("grouped")
        make_user("member"), make_user("moderator", role="moderator"), make_user("admin", role="admin")
        team = make_group("team", [grouped, author])
        cats = {"public": make_category("Open"), "members": make_category("Lounge", "members"),
                "group": make_category("Team room", "group", team)}
        for vis, cat in cats.items():
            for state in ("normal", "hidden", "deleted"):
                thread = make_thread(author, cat, f"{vis} {state} thread",
                                     hidden=state == "hidden", deleted=state == "deleted")
                for post_state in ("normal", "hidden", "deleted"):
                    make_reply(author, thread, f"{post_state} reply",
                               hidden=post_state == "hidden", deleted=post_state == "deleted")
        with app.test_request_context():
            yield app


def _user(name):
    return GUEST if name == "guest" else db.session.scalar(select(User).where(User.username == name))


def _visible_titles(name):
    stmt = permissions.visible_threads(_user(name)).with_only_columns(Thread.title)
    return set(db.session.scalars(stmt))


EXPECTED = {
    "guest": {"public normal"},
    "member": {"public normal", "members normal"},
    "grouped": {"public normal", "members normal", "group normal"},
    # Authors still see their own hidden threads (with the moderator's note).
    "author": {f"{v} {s}" for v in ("public", "members", "group") for s in ("normal", "hidden")},
    # Moderators see hidden threads in lists; deleted ones only on the thread page.
    "moderator": {f"{v} {s}" for v in ("public", "members", "group") for s in ("normal", "hidden")},
}
EXPECTED["admin"] = EXPECTED["moderator"]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_visible_threads_per_viewer(world, viewer):
    assert _visible_titles(viewer) == {t + " thread" for t in EXPECTED[viewer]}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_sql_and_python_agree_on_listable_threads(world, viewer):
    user = _user(viewer)
    listed = _visible_titles(viewer)
    for thread in db.session.scalars(select(Thread)):
        if thread.title in listed:
            assert permissions.can_view_thread(user, thread), thread.title
        elif not (permissions.is_moderator(user) and thread.is_deleted):
            assert not permissions.can_view_thread(user, thread), thread.title


def test_moderators_open_deleted_threads(world):
    deleted = db.session.scalar(select(Thread).where(Thread.title == "group deleted thread"))
    assert permissions.can_view_thread(_user("moderator"), deleted)
    assert not permissions.can_view_thread(_user("author"), deleted)


@pytest.mark.parametrize("viewer, expected", [
    ("guest", {"Open"}), ("member", {"Open", "Lounge"}),
    ("grouped", {"Open", "Lounge", "Team room"}), ("moderator", {"Open", "Lounge", "Team room"}),
])
def test_categories(world, viewer, expected):
    user = _user(viewer)
    in_sql = set(db.session.scalars(select(Category.name).where(permissions.category_clause(user))))
    in_python = {c.name for c in db.session.scalars(select(Category))
                 if permissions.can_view_category(user, c)}
    assert in_sql == in_python == expected


@pytest.mark.parametrize("viewer, expected", [
    ("guest", {"normal reply"}), ("member", {"normal reply"}),
    ("author", {"normal reply", "hidden reply"}),
    ("moderator", {"normal reply", "hidden reply", "deleted reply"}),
])
def test_posts(world, viewer, expected):
    user = _user(viewer)
    thread = db.session.scalar(select(Thread).where(Thread.title == "public normal thread"))
    replies = [p for p in thread.posts if not p.is_opening]
    assert {p.body for p in replies if permissions.can_view_post(user, p)} == expected
    in_sql = set(db.session.scalars(select(Post.body).where(
        Post.thread_id == thread.id, Post.is_opening.is_(False), permissions.post_clause(user))))
    assert in_sql == expected


def test_group_member_leaving_loses_access(world):
    grouped = _user("grouped")
    grouped.groups = []
    db.session.commit()
    assert "group normal thread" not in _visible_titles("grouped")


def test_edit_and_post_rights(world):
    post = db.session.scalar(select(Post).where(Post.body == "normal reply"))
    author, member, moderator = _user("author"), _user("member"), _user("moderator")
    assert permissions.can_edit_post(author, post) and permissions.can_edit_post(moderator, post)
    assert not permissions.can_edit_post(member, post)
    assert not permissions.can_edit_post(GUEST, post)
    assert permissions.can_post(member) and not permissions.can_post(GUEST)
    author.suspended_until = utcnow() + timedelta(hours=1)
    assert not permissions.can_post(author) and not permissions.can_edit_post(author, post)
    author.suspended_until = utcnow() - timedelta(hours=1)  # an expired suspension
    assert permissions.can_post(author)


def test_moderator_flags(world):
    assert permissions.is_moderator(_user("moderator")) and permissions.is_moderator(_user("admin"))
    assert not permissions.is_moderator(_user("member")) and not permissions.is_moderator(GUEST)
