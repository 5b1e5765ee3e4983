"""Error pages in the site layout, JSON bodies under /api/."""
import pytest
from sqlalchemy import text

from forum.extensions import db
from tests.factories import make_category, make_thread, make_user

LAYOUT = '<nav class="sidebar"'


def _add_routes(app):
    """Routes that fail on purpose (added before the first request, as Flask requires)."""
    def boom():
        raise RuntimeError("boom")

    def break_database():
        # Committed: PostgreSQL's DDL is transactional, so a rollback would bring them back.
        cascade = " CASCADE" if db.engine.dialect.name == "postgresql" else ""
        db.session.execute(text(f"DROP TABLE categories{cascade}"))
        db.session.execute(text(f"DROP TABLE users{cascade}"))
        db.session.commit()
        raise RuntimeError("the database went away")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/boom", "api_boom", boom)
    app.add_url_rule("/broken-db", "broken_db", break_database)
    app.add_url_rule("/api/echo", "api_echo", lambda: "ok", methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False  # TESTING would re-raise instead of a 500 page


def test_404_page_in_layout(client):
    response = client.get("/no/such/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert LAYOUT in html and "There is nothing here" in html
    assert response.mimetype == "text/html"


def test_403_page_in_layout(app, client, auth):
    with app.app_context():
        make_user("amina")
    auth.login()
    # A restricted category is a 404 like a missing one (issue 12); staff pages say 403.
    response = client.get("/admin/")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert LAYOUT in html and "You do not have permission" in html


def test_405_page_keeps_the_allow_header(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert LAYOUT in response.get_data(as_text=True)


def test_413_for_a_too_large_post(app, client, csrf_token):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"login": "x" * 5000, "password": "p",
                                           "csrf_token": token})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert LAYOUT in html and "too large" in html


def test_500_page_in_layout(app, client):
    _add_routes(app)
    response = client.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert LAYOUT in html and "Something went wrong" in html
    assert "RuntimeError" not in html  # no internals leak


def test_500_page_survives_a_broken_database(app, client, auth):
    _add_routes(app)
    with app.app_context():
        make_user("amina")
    auth.login()
    response = client.get("/broken-db")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    # Loading the signed-in user needs the database, so the standalone page is sent.
    assert "Something went wrong" in html and "<h1>Server error" in html


def test_500_page_for_a_guest_with_a_broken_database(app, client):
    _add_routes(app)
    response = client.get("/broken-db")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html and LAYOUT in html  # layout, empty sidebar


@pytest.mark.parametrize("method, url, status", [
    ("get", "/api/no-such-endpoint", 404),
    ("get", "/api/boom", 500),
    ("delete", "/api/v1/search", 405),
])
def test_api_errors_are_json(app, client, method, url, status):
    _add_routes(app)
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response.is_json and isinstance(response.get_json()["error"], str)
    assert "boom" not in response.get_json()["error"]


def test_api_csrf_failure_is_json(app, client):
    _add_routes(app)
    response = client.post("/api/echo", data={"q": "x"})
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["error"]


def test_api_413_is_json(app, client):
    _add_routes(app)
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/api/echo", data={"q": "x" * 500})
    assert response.status_code == 413 and response.is_json


def test_csrf_failure_page_gives_the_text_back(app, client, auth):
    with app.app_context():
        author = make_user("amina")
        thread = make_thread(author, make_category("Procurement"))
        url = f"/threads/{thread.id}/reply"
    auth.login()
    response = client.post(url, data={"body": "A long reply <b>typed</b> with care",
                                      "csrf_token": "stale"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and LAYOUT in html
    assert "The form expired or was sent from elsewhere" in html
    assert "A long reply &lt;b&gt;typed&lt;/b&gt; with care</textarea>" in html  # escaped


def test_csrf_failure_from_another_site_echoes_nothing(client):
    response = client.post("/register", data={"username": "Send money to evil.example"},
                           headers={"Origin": "https://evil.example"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "The form expired" in html
    assert "evil.example" not in html


def test_csrf_failure_from_this_site_echoes(client):
    response = client.post("/register", data={"username": "amina.d"},
                           headers={"Origin": "http://localhost"})
    assert "amina.d</textarea>" in response.get_data(as_text=True)


def test_a_views_own_message_is_kept(app, client):
    from flask import abort
    app.add_url_rule("/api/needs-q", "needs_q", lambda: abort(400, "q is required"))
    app.add_url_rule("/gone", "gone", lambda: abort(404, "That thread was merged away."))
    assert client.get("/api/needs-q").get_json() == {"error": "q is required"}
    assert "That thread was merged away." in client.get("/gone").get_data(as_text=True)
