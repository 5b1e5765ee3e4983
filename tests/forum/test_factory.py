"""The application factory: test config, instance config and the generated secret key."""
import os
import stat

import pytest

from forum import create_app


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder and an environment that cannot leak in."""
    path = tmp_path / "instance"
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(path))
    for name in ("DATABASE_URL", "SECRET_KEY", "SEARCH_MODEL", "SEARCH_INDEX_DIR",
                 "FORUM_SECURE_COOKIES", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    return path


def test_config_without_test_dict(instance):
    app = create_app()
    assert not app.testing
    assert app.instance_path == str(instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'forum.sqlite'}"
    assert app.config["WTF_CSRF_ENABLED"] is not False


def test_config_with_test_dict(instance):
    app = create_app({"TESTING": True, "SECRET_KEY": "given", "SEARCH_ENABLED": False})
    assert app.testing and app.config["SECRET_KEY"] == "given"
    assert not app.config["SEARCH_ENABLED"]


def test_secret_key_generated_private_and_reused(instance):
    first = create_app().config["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first) >= 32 and first != "dev"
    assert create_app().config["SECRET_KEY"] == first  # second run reuses it


def test_secret_key_differs_per_instance(tmp_path, monkeypatch, instance):
    first = create_app().config["SECRET_KEY"]
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "other"))
    assert create_app().config["SECRET_KEY"] != first


def test_environment_and_instance_file(instance, monkeypatch):
    instance.mkdir()
    (instance / "config.py").write_text("THREADS_PER_PAGE = 7\nSECRET_KEY = 'from-file'\n")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/forum")
    app = create_app()
    assert app.config["THREADS_PER_PAGE"] == 7 and app.config["SECRET_KEY"] == "from-file"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/forum"
    assert not (instance / "secret_key").exists()


def test_app_fixture_uses_a_temporary_instance(app, tmp_path):
    assert app.instance_path.startswith(str(tmp_path))
    assert app.config["WTF_CSRF_ENABLED"] and not app.config["RATELIMIT_ENABLED"]
