"""Personal API tokens (issue 12): shown once, stored hashed, read or read-write, expiring,
revocable, last use noted; Bearer requests need no CSRF token, cookie sessions still do."""
import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import ApiToken, Post, User
from forum.models._base import utcnow
from tests.conftest import AuthActions, get_csrf_token
from tests.factories import make_category, make_group, make_thread, make_user
from tests.forum.community import post

SECRET = re.compile(r'<code class="token-secret">(hs_[\w-]+)</code>')
SEARCH = "/api/v1/search?q=pooled"

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def world(app):
    """amina (in the kenya-team group), bob (not); a public and a group-only thread."""
    with app.app_context():
        amina, bob = make_user("amina"), make_user("bob")
        make_user("root", role="admin")
        team = make_group("kenya-team", [amina])
        public = make_thread(bob, make_category("Pooled funding"), "How did you pool funds?")
        inside = make_thread(amina, make_category("Kenya team", "group", team), "Team only")
        return {"public": public.id, "inside": inside.id}


def create_token(client, name="my script", scope="read", days="30"):
    """Create a token on the settings page; returns (response, secret or None)."""
    response = post(client, "/settings/tokens", {"name": name, "scope": scope, "days": days})
    found = SECRET.search(response.get_data(as_text=True))
    return response, found.group(1) if found else None


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def reply(client, thread_id, headers=None, body="Here is what we did in Nairobi."):
    return client.post(f"/api/v1/threads/{thread_id}/replies", json={"body": body},
                       headers=headers or {})


def token_row(app, secret=None) -> ApiToken:
    with app.app_context():
        stmt = select(ApiToken)
        if secret:
            stmt = stmt.where(ApiToken.token_hash == hashlib.sha256(secret.encode()).hexdigest())
        row = db.session.scalars(stmt).first()
        db.session.expunge(row)
        return row


def test_token_is_shown_once_and_stored_hashed(app, client, auth, world):
    auth.login("amina")
    response, secret = create_token(client)
    assert response.status_code == 200 and secret
    assert response.headers["Cache-Control"] == "no-store"
    again = client.get("/settings/tokens").get_data(as_text=True)
    assert secret not in again and secret[:10] in again  # only the prefix, to recognise it
    row = token_row(app)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.token_hash, row.prefix, row.name)
    assert row.scope == "read" and row.last_used_at is None
    assert timedelta(days=29) < row.expires_at - row.created_at <= timedelta(days=30)


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_bearer_reads_without_cookies_and_notes_last_use(app, client, auth, world):
    auth.login("amina")
    _, secret = create_token(client)
    integrator = app.test_client()  # no cookie at all
    response = integrator.get(SEARCH, headers=bearer(secret))
    assert response.status_code == 200, response.get_json()
    assert "set-cookie" not in {k.lower() for k in response.headers.keys()}
    used = token_row(app).last_used_at
    assert used is not None and utcnow() - used < timedelta(minutes=1)


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_read_token_cannot_write_and_write_token_needs_no_csrf(app, client, auth, world):
    auth.login("amina")
    _, read = create_token(client, "reader", "read")
    _, write = create_token(client, "writer", "write")
    integrator = app.test_client()
    refused = reply(integrator, world["public"], bearer(read))
    assert refused.status_code == 403 and "only read" in refused.get_json()["error"]
    refused = integrator.post("/api/v1/suggestions/events", headers=bearer(read),
                              json={"session": "x" * 20, "event": "dismissed"})
    assert refused.status_code == 403
    done = reply(integrator, world["public"], bearer(write))  # no CSRF token, no cookie
    assert done.status_code == 201, done.get_json()
    with app.app_context():
        created = db.session.get(Post, done.get_json()["id"])
        assert created.author.username == "amina" and created.thread_id == world["public"]


def test_token_sees_what_its_member_may_see(app, client, auth, world):
    auth.login("bob")
    _, bobs = create_token(client, "bob's", "write")
    integrator = app.test_client()
    assert reply(integrator, world["inside"], bearer(bobs)).status_code == 404
    post(client, "/logout")
    auth.login("amina")
    _, aminas = create_token(client, "amina's", "write")
    assert reply(integrator, world["inside"], bearer(aminas)).status_code == 201


@pytest.mark.parametrize("header", [
    "Bearer hs_not-a-real-token", "Bearer ", "Token abc", "Basic YWRtaW46YWRtaW4=",
    "Bearer " + "hs_" + "x" * 500,
])
def test_bad_tokens_get_401_json(app, client, world, header):
    response = client.get(SEARCH, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_expired_and_revoked_tokens_get_401(app, client, auth, world):
    auth.login("amina")
    _, old = create_token(client, "old")
    _, gone = create_token(client, "gone")
    with app.app_context():
        db.session.execute(update(ApiToken).where(ApiToken.name == "old")
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    gone_id = token_row(app, gone).id
    assert post(client, f"/settings/tokens/{gone_id}/revoke").status_code == 302
    integrator = app.test_client()
    for secret in (old, gone):
        response = integrator.get(SEARCH, headers=bearer(secret))
        assert response.status_code == 401 and "expired or was revoked" in response.get_json()["error"]
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert "gone" not in page and "old</strong>" not in page


def test_a_bad_token_never_falls_back_to_the_cookie(app, client, auth, world):
    auth.login("amina")
    csrf = get_csrf_token(client, "/")
    response = reply(client, world["public"], {"Authorization": "Bearer hs_wrong",
                                               "X-CSRFToken": csrf})
    assert response.status_code == 401


def test_only_the_owner_revokes_a_token(app, client, auth, world):
    auth.login("amina")
    _, secret = create_token(client)
    token_id = token_row(app, secret).id
    post(client, "/logout")
    auth.login("bob")
    page = post(client, f"/settings/tokens/{token_id}/revoke").status_code
    assert page == 302
    assert app.test_client().get(SEARCH, headers=bearer(secret)).status_code == 200


def test_cookie_sessions_still_need_csrf_to_write(app, client, auth, world):
    assert reply(client, world["public"]).status_code == 401  # nobody signed in
    auth.login("amina")
    refused = reply(client, world["public"])
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
    csrf = get_csrf_token(client, "/")
    done = reply(client, world["public"], {"X-CSRFToken": csrf})
    assert done.status_code == 201


def test_signing_out_everywhere_revokes_tokens(app, client, auth, world):
    auth.login("amina")
    _, secret = create_token(client, "laptop", "write")
    admin = app.test_client()
    AuthActions(admin).login("root")
    with app.app_context():
        amina = db.session.scalar(select(User.id).where(User.username == "amina"))
    assert post(admin, f"/admin/users/{amina}/sign-out", {"reason": "stolen"}).status_code == 302
    assert app.test_client().get(SEARCH, headers=bearer(secret)).status_code == 401


def test_token_form_errors_keep_the_text(app, client, auth, world):
    auth.login("amina")
    response, secret = create_token(client, name="x" * 101, scope="write", days="30")
    assert response.status_code == 400 and secret is None
    response, secret = create_token(client, name="nightly export", scope="admin", days="30")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and secret is None and 'value="nightly export"' in html
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_tokens_page_needs_a_signed_in_member(client, world):
    response = client.get("/settings/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
