"""Admin pages: roles, suspensions, groups and categories, all audited (issue 5)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Category, Group, Notification, User
from tests.forum.community import as_user, audit_count, build, is_login_redirect, post


@pytest.fixture
def world(app):
    return build(app)


def user(app, username):
    with app.app_context():
        u = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(u)
        return u


def uid(app, username):
    return user(app, username).id


@pytest.mark.parametrize("username", ["amina", "helen", "sam"])
def test_only_admins_reach_the_admin_pages(app, client, auth, world, username):
    as_user(client, auth, username)
    for url in ("/admin/", "/admin/users", f"/admin/users/{uid(app, 'bob')}", "/admin/groups",
                "/admin/categories", f"/admin/categories/{world.category}"):
        assert client.get(url).status_code == 403, url
    assert post(client, f"/admin/users/{uid(app, 'bob')}/role", {"role": "admin"}).status_code == 403
    assert post(client, "/admin/groups", {"name": "sneaky"}).status_code == 403
    assert user(app, "bob").role == "member"


def test_guest_is_sent_to_log_in(client, world):
    assert is_login_redirect(client.get("/admin/users"))


def test_admin_pages_render(app, client, auth, world):
    as_user(client, auth, "root")
    assert client.get("/admin/").status_code == 302
    users = client.get("/admin/users?q=ami").get_data(as_text=True)
    assert "amina" in users and "carla" not in users
    assert "Suspended until" in client.get("/admin/users?q=sam").get_data(as_text=True)
    for url in (f"/admin/users/{uid(app, 'bob')}", "/admin/groups", "/admin/categories",
                f"/admin/categories/{world.category}"):
        assert client.get(url).status_code == 200, url


def test_change_role_with_audit(app, client, auth, world):
    as_user(client, auth, "root")
    bob = uid(app, "bob")
    assert post(client, f"/admin/users/{bob}/role", {"role": "moderator"}, csrf=False).status_code == 400
    post(client, f"/admin/users/{bob}/role", {"role": "moderator", "reason": "trusted"})
    assert user(app, "bob").role == "moderator"
    assert audit_count(app, "user.role") == 1
    assert post(client, f"/admin/users/{bob}/role", {"role": "emperor"}).status_code == 400


def test_admin_cannot_demote_or_suspend_themselves(app, client, auth, world):
    as_user(client, auth, "root")
    me = uid(app, "root")
    assert post(client, f"/admin/users/{me}/role", {"role": "member"}).status_code == 400
    until = (date.today() + timedelta(days=3)).isoformat()
    post(client, f"/admin/users/{me}/suspend", {"until": until, "reason": "oops"})
    root = user(app, "root")
    assert root.role == "admin" and not root.is_suspended
    assert audit_count(app, "user.role") == 0


def test_suspend_and_unsuspend(app, client, auth, world):
    as_user(client, auth, "root")
    bob = uid(app, "bob")
    until = (date.today() + timedelta(days=3)).isoformat()
    assert post(client, f"/admin/users/{bob}/suspend", {"until": until, "reason": ""}).status_code == 400
    past = (date.today() - timedelta(days=3)).isoformat()
    assert post(client, f"/admin/users/{bob}/suspend", {"until": past, "reason": "x"}).status_code == 400
    assert not user(app, "bob").is_suspended
    post(client, f"/admin/users/{bob}/suspend", {"until": until, "reason": "Repeated spam"})
    suspended = user(app, "bob")
    assert suspended.is_suspended and suspended.suspended_reason == "Repeated spam"
    with app.app_context():
        assert "Repeated spam" in db.session.scalar(
            select(Notification.detail).where(Notification.user_id == bob))
    as_user(client, auth, "bob")  # a suspended member may read but not post
    response = post(client, f"/threads/{world.thread}/reply", {"body": "Can I still post?"})
    assert response.status_code == 403
    banner = client.get("/").get_data(as_text=True)
    assert "Your account is suspended until" in banner and "Repeated spam" in banner
    as_user(client, auth, "root")
    post(client, f"/admin/users/{bob}/unsuspend")
    assert not user(app, "bob").is_suspended
    assert audit_count(app, "user.suspend") == audit_count(app, "user.unsuspend") == 1


def test_groups_create_add_and_remove_members(app, client, auth, world):
    as_user(client, auth, "root")
    assert post(client, "/admin/groups", {"name": "kenya-team"}, csrf=False).status_code == 400
    post(client, "/admin/groups", {"name": "kenya-team", "description": "Nairobi"})
    assert post(client, "/admin/groups", {"name": "kenya-team"}).status_code == 400  # taken
    with app.app_context():
        group_id = db.session.scalar(select(Group.id).where(Group.name == "kenya-team"))
    post(client, f"/admin/groups/{group_id}", {"username": "dan"})
    assert post(client, f"/admin/groups/{group_id}", {"username": "nobody"}).status_code == 400
    with app.app_context():
        assert [u.username for u in db.session.get(Group, group_id).members] == ["dan"]
    assert "dan" in client.get(f"/admin/groups/{group_id}").get_data(as_text=True)
    post(client, f"/admin/groups/{group_id}/members/{uid(app, 'dan')}/remove")
    with app.app_context():
        assert db.session.get(Group, group_id).members == []
    for action in ("group.create", "group.add", "group.remove"):
        assert audit_count(app, action) == 1


def test_categories_create_and_change_visibility(app, client, auth, world):
    as_user(client, auth, "root")
    post(client, "/admin/groups", {"name": "kenya-team"})
    post(client, "/admin/categories", {"name": "Data", "description": "Data sharing",
                                       "visibility": "members"})
    with app.app_context():
        data = db.session.scalar(select(Category).where(Category.name == "Data"))
        assert (data.visibility, data.description) == ("members", "Data sharing")
    assert post(client, "/admin/categories", {"name": "Bad", "visibility": "group:nope"}).status_code == 400
    # Visibility follows at once: a guest loses the thread when its category turns group-only.
    post(client, "/logout")
    assert client.get(f"/threads/{world.thread}").status_code == 200
    as_user(client, auth, "root")
    post(client, f"/admin/categories/{world.category}", {"description": "Now private",
                                                         "visibility": "group:kenya-team"})
    with app.app_context():
        cat = db.session.get(Category, world.category)
        assert (cat.visibility, cat.group.name, cat.description) == ("group", "kenya-team",
                                                                     "Now private")
    as_user(client, auth, "carla")
    assert client.get(f"/threads/{world.thread}").status_code == 404
    assert audit_count(app, "category.create") == audit_count(app, "category.edit") == 1


def test_category_edit_needs_csrf(app, client, auth, world):
    as_user(client, auth, "root")
    response = post(client, f"/admin/categories/{world.category}",
                    {"description": "x", "visibility": "members"}, csrf=False)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Category, world.category).visibility == "public"
