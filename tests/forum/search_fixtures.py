"""Apps with the search engine switched on, and plain model factories, for search tests."""
import pytest
from flask_login import AnonymousUserMixin

from forum import create_app
from forum.extensions import db
from forum.models import Category, Group, User

GUEST = AnonymousUserMixin()


def make_user(name, role="member"):
    user = User(username=name, display_name=name.title(), role=role)
    user.set_password("password123")
    db.session.add(user)
    db.session.commit()
    return user


def make_group(name, members):
    group = Group(name=name, members=list(members))
    db.session.add(group)
    db.session.commit()
    return group


def make_category(name, visibility="public", group=None):
    category = Category(name=name, slug=name.lower().replace(" ", "-"), visibility=visibility,
                        group=group)
    db.session.add(category)
    db.session.commit()
    return category


def make_app(tmp_path, **extra):
    """An app on a file database shared by every app made with the same tmp_path."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'forum.sqlite'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "search"),
        "SEARCH_SAVE_INTERVAL": 0,
        "RATELIMIT_ENABLED": False,
    }
    config.update(extra)
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def search_app(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()


