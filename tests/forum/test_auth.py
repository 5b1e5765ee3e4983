"""Register, log in, log out: CSRF, generic errors, open redirects, rate limits."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.auth.redirects import safe_next
from forum.auth.services import LOGIN_FAILED
from forum.extensions import db
from forum.models import Post, User
from forum.models._base import utcnow
from tests.factories import PASSWORD, make_category, make_thread, make_user


def _register(client, csrf_token, **fields):
    data = {"username": "amina", "email": "", "password": PASSWORD, "confirm": PASSWORD,
            "csrf_token": csrf_token(client, "/register"), **fields}
    return client.post("/register", data=data)


def test_register_logs_in_and_hashes_with_scrypt(app, client, csrf_token):
    response = _register(client, csrf_token, username="Amina.Diallo", email="A@Example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "amina.diallo" in client.get("/").get_data(as_text=True)  # name in the header
    with app.app_context():
        user = db.session.scalar(select(User))
        # The address is used once confirmed through the link mailed to it (issue 12).
        assert (user.username, user.email, user.pending_email) == (
            "amina.diallo", None, "a@example.org")
        assert user.password_hash.startswith("scrypt:")


def test_register_page_is_accessible(client):
    html = client.get("/register").get_data(as_text=True)
    for name, autocomplete in (("username", "username"), ("email", "email"),
                               ("password", "new-password"), ("confirm", "new-password")):
        assert f'<label for="{name}">' in html
        assert f'autocomplete="{autocomplete}"' in html


@pytest.mark.parametrize("taken", ["amina", "AMINA", " Amina "])
def test_duplicate_names_case_insensitively(app, client, csrf_token, taken):
    with app.app_context():
        make_user("amina")
    response = _register(client, csrf_token, username=taken, email="new@example.org")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "That name is taken." in html
    assert 'value="new@example.org"' in html  # the rest of the text is intact


def test_a_registered_email_is_not_revealed(app, client, csrf_token):
    # Issue 12: signing up with a registered address answers like any other address
    # (tests/forum/test_accounts_email.py compares the two answers in full).
    with app.app_context():
        make_user("amina", email="amina@example.org")
    response = _register(client, csrf_token, username="other", email="Amina@Example.org")
    assert response.status_code == 302
    assert "already registered" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        other = db.session.scalar(select(User).where(User.username == "other"))
        assert (other.email, other.pending_email) == (None, "amina@example.org")


@pytest.mark.parametrize("name", ["ab", "has space", "-dash-first", "ümlaut", "x" * 33, "a/b"])
def test_bad_usernames_are_rejected_beside_the_field(client, csrf_token, name):
    html = _register(client, csrf_token, username=name).get_data(as_text=True)
    assert 'class="field  has-error"' in html or "has-error" in html
    assert "3–32" in html or "3-32" in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize("fields, message", [
    ({"password": "short", "confirm": "short"}, "Use at least 8 characters."),
    ({"confirm": "something-else"}, "The passwords differ."),
    ({"email": "not-an-email"}, "Enter a valid email address"),
])
def test_bad_password_or_email(app, client, csrf_token, fields, message):
    response = _register(client, csrf_token, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html
    assert 'value="amina"' in html  # username kept
    assert PASSWORD not in html  # passwords are never echoed back
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_login_by_username_and_by_email(app, client, auth):
    with app.app_context():
        make_user("amina", email="amina@example.org")
    assert auth.login("Amina").status_code == 302
    auth.logout()
    assert auth.login("AMINA@example.org").headers["Location"] == "/"


@pytest.mark.parametrize("login, password", [
    ("amina", "wrong-password"),  # wrong password
    ("nobody", PASSWORD),  # unknown user
    ("archived", PASSWORD),  # placeholder (imported author)
    ("archived", ""),
])
def test_failed_logins_share_one_message(app, client, auth, login, password):
    with app.app_context():
        make_user("amina")
        make_user("archived", placeholder=True)
    response = auth.login(login, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    if password:
        assert LOGIN_FAILED in html
        assert f'value="{login}"' in html
    assert "Log out" not in html


def test_login_page_is_accessible(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<label for="login">Username or email</label>' in html
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html


def test_suspended_member_logs_in_sees_reason_but_cannot_post(app, client, auth, csrf_token):
    with app.app_context():
        make_user("amina", suspended_until=utcnow() + timedelta(days=3),
                  suspended_reason="Repeated off-topic posts")
        thread = make_thread(make_user("bob"), make_category("Procurement"))
        url = f"/threads/{thread.id}"
    response = auth.login("amina")
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "suspended until" in html and "Repeated off-topic posts" in html
    assert 'id="reply-title"' not in html  # no reply box
    response = client.post(f"{url}/reply", data={
        "body": "Trying anyway", "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 1


def test_logout_requires_post(client, auth, app):
    with app.app_context():
        make_user("amina")
    auth.login()
    assert client.get("/logout").status_code == 405
    assert "Log out" in client.get("/").get_data(as_text=True)


def test_logout_requires_csrf_token(client, auth, app):
    with app.app_context():
        make_user("amina")
    auth.login()
    assert client.post("/logout").status_code == 400
    assert "Log out" in client.get("/").get_data(as_text=True)  # still logged in
    assert auth.logout().status_code == 302
    assert "Log out" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("url, data", [
    ("/login", {"login": "amina", "password": PASSWORD}),
    ("/register", {"username": "amina", "password": PASSWORD, "confirm": PASSWORD}),
])
def test_post_without_csrf_token_is_a_400_page(app, client, url, data):
    with app.app_context():
        make_user("other")
    response = client.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The form expired or was sent from elsewhere" in html
    assert "amina" in html and PASSWORD not in html  # the text comes back, secrets do not
    assert '<nav class="sidebar"' in html  # in the site layout
    with app.app_context():
        assert db.session.scalar(select(User.username).where(User.username == "amina")) is None


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "javascript:alert(1)", "http:/evil.example", " //evil.example",
    "evil.example",
])
def test_open_redirect_is_blocked(app, client, auth, target):
    with app.app_context():
        make_user("amina")
    response = auth.login(next=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_to_a_local_path_is_followed(app, client, auth):
    with app.app_context():
        make_user("amina")
    response = auth.login(next="/saved?page=2")
    assert response.headers["Location"] == "/saved?page=2"


def test_login_required_round_trip(app, client, csrf_token):
    with app.app_context():
        make_user("amina")
    response = client.get("/saved")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/saved"' in html
    response = client.post("/login", data={"login": "amina", "password": PASSWORD, "next": "/saved",
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.headers["Location"] == "/saved"


def test_safe_next_unit(app):
    with app.test_request_context():
        assert safe_next("/u/amina#x") == "/u/amina#x"
        assert safe_next(None) == "/"
        assert safe_next("https://evil.example", fallback="/saved") == "/saved"


@pytest.mark.app_config(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
def test_login_rate_limit_gives_a_429_page_in_the_layout(app, client, auth):
    for _ in range(3):
        assert auth.login("nobody", "wrong-password").status_code == 200
    response = auth.login("nobody", "wrong-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many attempts" in html and '<nav class="sidebar"' in html
    assert client.get("/login").status_code == 200  # GETs are not limited


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_register_is_rate_limited_at_ten_a_minute(client, csrf_token):
    statuses = [_register(client, csrf_token, username="x").status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
