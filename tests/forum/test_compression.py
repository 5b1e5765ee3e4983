"""Guests' pages and static files travel compressed; nothing that holds a secret does (BREACH)."""
import gzip

import pytest

from tests.factories import make_category, make_thread, make_user

GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def forum(app):
    with app.app_context():
        amina = make_user("amina")
        make_thread(amina, make_category("Funding"), "Pooled fund set-up", body="How? " * 200)


def test_a_guests_page_is_compressed(client, forum):
    plain = client.get("/").get_data()
    response = client.get("/", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.get_data()) == plain
    assert len(response.get_data()) < len(plain) / 2
    assert "Content-Encoding" not in client.get("/").headers  # asked for nothing: plain
    client.set_cookie("remember_token", "1|abc")  # any cookie may be a credential
    assert "Content-Encoding" not in client.get("/", headers=GZIP).headers


def test_nothing_with_a_secret_beside_reflected_text_is_compressed(client, auth, forum):
    # A page that puts a CSRF token in a new session (the login form): the token travels
    # beside the "next" text the link carries.
    login = client.get("/login?next=/search?q=guess", headers=GZIP)
    assert login.status_code == 200 and "Set-Cookie" in login.headers
    assert "Content-Encoding" not in login.headers
    # A member's pages: a CSRF token (log-out form) beside the search query typed.
    auth.login("amina")
    for url in ("/", "/search?q=pooled+guess"):
        response = client.get(url, headers=GZIP)
        assert response.status_code == 200 and "csrf_token" in response.get_data(as_text=True)
        assert "Content-Encoding" not in response.headers, url
    # Static files hold no secret: compressed for members too.
    with client.get("/static/css/site.css", headers=GZIP) as style:
        assert style.headers["Content-Encoding"] == "gzip"


def test_answers_to_a_token_are_not_compressed(app, client, forum):
    """A token's answers may hold what only its member sees: no cookie, but credentials."""
    from forum.api import tokens
    from forum.extensions import db
    from forum.models import User

    with app.app_context():
        amina = db.session.scalar(db.select(User).where(User.username == "amina"))
        _, secret = tokens.create(amina, "script", "read", 30)
        db.session.commit()
    app.config["COMPRESS_MIN_SIZE"] = 0  # the answer is small with search off; size aside
    response = client.get("/api/v1/search?q=pooled", headers={**GZIP, "Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert client.get("/api/v1/search?q=pooled", headers=GZIP).headers["Content-Encoding"] == "gzip"


def test_compression_can_be_turned_off(app, client, forum):
    app.config["COMPRESS_RESPONSES"] = False
    assert "Content-Encoding" not in client.get("/", headers=GZIP).headers


def test_the_setting_comes_from_the_environment(monkeypatch, tmp_path):
    from flask import Config

    from forum.config import load_config

    class Fake:
        instance_path = str(tmp_path)
        config = Config(str(tmp_path))

    load_config(Fake)
    assert Fake.config["COMPRESS_RESPONSES"] is True
    monkeypatch.setenv("COMPRESS_RESPONSES", "0")
    load_config(Fake)
    assert Fake.config["COMPRESS_RESPONSES"] is False
