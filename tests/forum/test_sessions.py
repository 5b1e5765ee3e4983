"""Sessions that end (issue 12): logging out, a password change, a suspension and an admin's
"sign out everywhere" end every copy of a session cookie and of a remember cookie."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import LoginSession, User
from tests.conftest import AuthActions
from tests.factories import PASSWORD, make_user
from tests.forum.community import is_login_redirect, post

NEW_PASSWORD = "quiet-lantern-orchard-58"
PRIVATE = "/settings/profile"  # any page that needs a signed-in member

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def people(app):
    with app.app_context():
        make_user("amina")
        make_user("root", role="admin")


def sign_in(client, auth, username="amina", remember=False):
    extra = {"remember": "y"} if remember else {}
    response = auth.login(username, **extra)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def copy_cookie(source, target, name):
    """Put the source client's cookie into another client, as a thief would."""
    cookie = source.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    target.set_cookie(name, cookie.value)
    return cookie.value


def signed_in(client) -> bool:
    response = client.get(PRIVATE)
    assert response.status_code in (200, 302)
    return response.status_code == 200


@pytest.fixture
def thief(app):
    return app.test_client()


@pytest.fixture
def remembered(app):
    """A client holding nothing but a remember cookie."""
    return app.test_client()


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_copies_of_the_cookies_work_until_logout_then_never(app, client, auth, people, thief,
                                                            remembered):
    sign_in(client, auth, remember=True)
    copy_cookie(client, thief, "session")
    copy_cookie(client, remembered, "remember_token")
    assert signed_in(thief) and signed_in(remembered)  # the copies work: they are real copies
    auth.logout()
    assert not signed_in(client)
    assert not signed_in(thief)
    assert not signed_in(remembered)


def test_remember_cookie_alone_signs_in_and_differs_per_login(app, client, auth, people):
    sign_in(client, auth, remember=True)
    first = client.get_cookie("remember_token").value
    other = app.test_client()
    sign_in(other, AuthActions(other), remember=True)
    second = other.get_cookie("remember_token").value
    assert first != second
    fresh = app.test_client()
    fresh.set_cookie("remember_token", first)
    assert signed_in(fresh)
    # The remember cookie lasts 30 days, not a year.
    cookie = client.get_cookie("remember_token")
    assert cookie.expires is not None
    with app.app_context():
        row = db.session.scalars(select(LoginSession)).first()
        assert timedelta(days=29) < row.expires_at - row.created_at <= timedelta(days=31)


def test_database_keeps_only_a_digest_of_the_session_key(app, client, auth, people):
    sign_in(client, auth, remember=True)
    cookie = client.get_cookie("remember_token").value
    key = cookie.split("|")[0]
    with app.app_context():
        hashes = db.session.scalars(select(LoginSession.key_hash)).all()
    assert len(hashes) == 1 and key not in hashes[0] and len(hashes[0]) == 64


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_password_change_ends_every_other_session(app, client, auth, people, thief, remembered):
    sign_in(client, auth, remember=True)
    other_device = app.test_client()
    sign_in(other_device, AuthActions(other_device), remember=True)
    copy_cookie(other_device, thief, "session")
    copy_cookie(other_device, remembered, "remember_token")
    assert signed_in(thief) and signed_in(remembered)
    response = post(client, "/settings/password", {
        "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(client)  # the device that changed it stays signed in
    assert not signed_in(other_device)
    assert not signed_in(thief)
    assert not signed_in(remembered)
    auth.logout()
    assert auth.login("amina", PASSWORD).status_code == 200  # the old password is gone
    assert auth.login("amina", NEW_PASSWORD).status_code == 302


def test_password_change_needs_the_current_password(app, client, auth, people, thief):
    sign_in(client, auth)
    copy_cookie(client, thief, "session")
    response = post(client, "/settings/password", {
        "current": "not-my-password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert "That is not your current password." in response.get_data(as_text=True)
    assert signed_in(thief)  # nothing changed, nobody signed out
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "amina"))
        assert user.check_password(PASSWORD)


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_suspension_ends_every_session(app, client, auth, people, thief, remembered):
    sign_in(client, auth, remember=True)
    copy_cookie(client, thief, "session")
    copy_cookie(client, remembered, "remember_token")
    admin = app.test_client()
    sign_in(admin, AuthActions(admin), "root")
    with app.app_context():
        amina = db.session.scalar(select(User.id).where(User.username == "amina"))
    until = (date.today() + timedelta(days=3)).isoformat()
    response = post(admin, f"/admin/users/{amina}/suspend", {"until": until, "reason": "spam"})
    assert response.status_code == 302
    assert not signed_in(client) and not signed_in(thief) and not signed_in(remembered)
    assert signed_in(admin)
    # They may sign in again to read; the notice tells them why they cannot post.
    page = auth.login("amina")
    assert page.status_code == 302


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_admin_signs_a_member_out_everywhere(app, client, auth, people, thief, remembered):
    sign_in(client, auth, remember=True)
    copy_cookie(client, thief, "session")
    copy_cookie(client, remembered, "remember_token")
    admin = app.test_client()
    sign_in(admin, AuthActions(admin), "root")
    with app.app_context():
        amina = db.session.scalar(select(User.id).where(User.username == "amina"))
    page = admin.get(f"/admin/users/{amina}").get_data(as_text=True)
    assert "Signed in on 1 device" in page
    assert post(admin, f"/admin/users/{amina}/sign-out", {"reason": "lost laptop"},
                csrf=False).status_code == 400
    assert signed_in(thief)
    response = post(admin, f"/admin/users/{amina}/sign-out", {"reason": "lost laptop"})
    assert response.status_code == 302
    assert not signed_in(client) and not signed_in(thief) and not signed_in(remembered)
    assert signed_in(admin)


def test_members_cannot_sign_others_out(app, client, auth, people):
    with app.app_context():
        root = db.session.scalar(select(User.id).where(User.username == "root"))
    admin = app.test_client()
    sign_in(admin, AuthActions(admin), "root")
    sign_in(client, auth)
    assert post(client, f"/admin/users/{root}/sign-out", {}).status_code == 403
    assert signed_in(admin)


def test_sign_out_on_every_other_device(app, client, auth, people, thief):
    sign_in(client, auth)
    other = app.test_client()
    sign_in(other, AuthActions(other))
    copy_cookie(other, thief, "session")
    page = client.get("/settings/security").get_data(as_text=True)
    assert page.count("signed in <time") == 2 and "this device" in page
    assert post(client, "/settings/sessions/end-others").status_code == 302
    assert signed_in(client)
    assert not signed_in(other) and not signed_in(thief)


def test_an_expired_session_signs_nobody_in(app, client, auth, people):
    sign_in(client, auth, remember=True)
    with app.app_context():
        db.session.execute(update(LoginSession).values(expires_at=LoginSession.created_at))
        db.session.commit()
    assert not signed_in(client)


def test_a_cookie_from_before_the_upgrade_signs_nobody_in(app, client, people):
    with app.app_context():
        amina = db.session.scalar(select(User.id).where(User.username == "amina"))
    with client.session_transaction() as session:
        session["_user_id"] = str(amina)  # what the old cookies held: the user id
        session["_fresh"] = True
    assert is_login_redirect(client.get(PRIVATE))


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_page_view_notes_the_session_in_use_reading_its_row_once(app, client, auth, people):
    """last_seen_at (shown under "Sign out on every other device") moves when the session is
    used after a pause, not at every request; the row is read once per request."""
    from sqlalchemy import event

    from forum import login_sessions

    sign_in(client, auth)
    long_ago = login_sessions.utcnow() - login_sessions.TOUCH_EVERY * 3
    with app.app_context():
        db.session.execute(update(LoginSession).values(last_seen_at=long_ago))
        db.session.commit()
        reads = []
        listener = lambda conn, cursor, statement, *rest: (  # noqa: E731
            reads.append(statement) if "FROM login_sessions" in statement else None)
        event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(PRIVATE).status_code == 200
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", listener)
    with app.app_context():
        seen = db.session.scalar(select(LoginSession.last_seen_at))
        assert seen > long_ago + login_sessions.TOUCH_EVERY  # noted now
    assert len(reads) == 1, reads
    with app.app_context():  # used again at once: no new write
        assert client.get(PRIVATE).status_code == 200
        assert db.session.scalar(select(LoginSession.last_seen_at)) == seen
