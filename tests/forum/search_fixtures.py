"""Apps with the search engine switched on, and plain model factories, for search tests."""
import gc

import pytest
from flask_login import AnonymousUserMixin

from forum import create_app
from forum.extensions import db

GUEST = AnonymousUserMixin()


def make_app(tmp_path, database_url=None, **extra):
    """An app on a database shared by every app made with the same tmp_path (or URL)."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'forum.sqlite'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "search"),
        "SEARCH_WORKER": "inline",
        "RATELIMIT_ENABLED": False,
    }
    config.update(extra)
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture(params=["sqlite", "postgres"])
def search_db(request, tmp_path):
    """The database URL of a search test: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'forum.sqlite'}"
    from tests.conftest import _fresh_database
    return _fresh_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def search_app(tmp_path, monkeypatch, search_db):
    """An app with search switched on, inside its app context."""
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, search_db)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    gc.collect()  # surface a leaked connection in the test that leaked it


