"""GET /healthz: 200 while the database answers, 503 when it does not; search and mail state."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from forum import create_app, searching
from forum.extensions import db, limiter
from forum.models import OutboxMessage, SearchQueue
from forum.models._base import utcnow
from tests.conftest import _drop_database
from tests.factories import make_category, make_thread, make_user
from tests.forum.search_fixtures import make_app

SECRET_TITLE = "Kenya team budget for the next cycle"


def health(app) -> tuple[int, dict]:
    response = app.test_client().get("/healthz")
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def test_a_healthy_forum_without_search_or_mail(app):
    code, body = health(app)
    assert code == 200
    assert body == {
        "status": "ok", "database": "ok",
        "search": {"mode": "off", "lag": 0, "pending": 0, "oldest_pending_seconds": None},
        "mail": {"configured": False, "pending": 0, "overdue": 0, "failed": 0},
    }


def test_an_unreachable_database_answers_503_and_says_nothing_more(app, tmp_path, monkeypatch):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):  # a SQLite file in a folder that does not exist
        monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "other"))
        app = create_app({**app.config, "SQLALCHEMY_DATABASE_URI":
                          f"sqlite:///{tmp_path / 'removed' / 'forum.sqlite'}"})
    else:  # PostgreSQL: the forum's database is dropped under it
        with app.app_context():
            db.engine.dispose()
        _drop_database(url)
    code, body = health(app)
    assert code == 503
    assert body == {"status": "error", "database": "error"}  # no error text: it may hold the URL


def test_mail_waiting_past_its_time_is_degraded_not_down(app):
    app.config["MAIL_SERVER"] = "127.0.0.1"
    with app.app_context():
        amina = make_user("amina", email="amina@example.org")
        late = utcnow() - timedelta(hours=1)
        db.session.add_all([OutboxMessage(user=amina, kind="reply", next_attempt_at=late),
                            OutboxMessage(user=amina, kind="reply"),
                            OutboxMessage(user=amina, kind="reply", status="failed")])
        db.session.commit()
    code, body = health(app)
    assert code == 200 and body["status"] == "degraded"
    assert body["mail"] == {"configured": True, "pending": 2, "overdue": 1, "failed": 1}
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(status="sent"))
        db.session.commit()
    assert health(app)[1]["status"] == "ok"


# An application-wide limit counts every request, GETs included (the forum's own budgets
# count POSTs and named views): the strictest setting a deployment could add.
@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_APPLICATION="2 per minute")
def test_health_checks_are_never_rate_limited(app):
    try:
        assert app.test_client().get("/login").status_code == 200  # the limit applies…
        client = app.test_client()
        client.get("/login")
        assert client.get("/login").status_code == 429
        assert [health(app)[0] for _ in range(5)] == [200] * 5  # …but not to /healthz
    finally:
        # Flask-Limiter is one object per process and keeps application limits once set
        # (a later app's init_app does not clear them): leave none for the next tests.
        limiter.limit_manager.set_application_limits([])


def test_search_lag_queue_and_mode(tmp_path, search_app, search_db):
    service = search_app.extensions["searching"]
    team = make_category("Kenya team", visibility="members")
    make_thread(make_user("amina"), team, SECRET_TITLE, "Budget lines.")
    service.settle()
    code, body = health(search_app)
    assert code == 200 and body["status"] == "ok", body
    assert body["search"] == {"mode": "hybrid", "lag": 0, "pending": 0,
                              "oldest_pending_seconds": None}
    assert "Kenya" not in str(body)  # states and counts only, never content

    with service.paused():  # a change nobody indexes: the queue ages
        make_thread(make_user("bob"), team, "Another team thread", "More budget lines.")
    db.session.execute(update(SearchQueue).values(queued_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    code, body = health(search_app)
    assert code == 200 and body["status"] == "degraded"
    assert body["search"]["pending"] == 1 and body["search"]["oldest_pending_seconds"] >= 600

    other = make_app(tmp_path, search_db)  # another process that has not started yet
    code, body = health(other)
    assert body["search"]["mode"] == "loading" and body["search"]["lag"] == 1
    assert body["status"] == "degraded"
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_keyword_only_search_is_degraded(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, SEARCH_MODEL=str(tmp_path / "no-such-model"))
    with app.app_context():
        make_thread(make_user("amina"), make_category("Climate"), "Early warning triggers")
        assert searching.search_mode() == "lexical"
    code, body = health(app)
    assert code == 200 and body["status"] == "degraded"
    assert body["search"]["mode"] == "lexical" and body["search"]["lag"] == 0
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
