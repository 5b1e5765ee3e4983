"""Fixtures of the security tests: a search-enabled app on the three-scope world, and a
logged-in test client per role (module-scoped: building the world and loading the real
model once serves every parametrized case of a file)."""
import pytest

from forum import create_app
from forum.extensions import db
from tests.conftest import BACKENDS, CSRF_RE, PASSWORD
from tests.security.world import ROLES, build_world


def world_database(request) -> str | None:
    """The database of a world fixture parametrised by BACKENDS: None for SQLite (a file in
    the world's folder), or a fresh PostgreSQL database (its pass of `make test`)."""
    if request.param != "postgres":
        return None
    from tests.conftest import _fresh_database
    return _fresh_database(request.getfixturevalue("postgres_url"))


def make_world_app(tmp_path_factory, database_url: str | None = None, **extra):
    """A fresh app with search on (inline, real model) and the world in its database."""
    base = tmp_path_factory.mktemp("security")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORUM_INSTANCE_PATH", str(base))
        app = create_app({
            "TESTING": True, "SECRET_KEY": "security-tests",
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{base / 'forum.sqlite'}",
            "SEARCH_ENABLED": True, "SEARCH_WORKER": "inline",
            "SEARCH_INDEX_DIR": str(base / "search"), "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": True, **extra})
    with app.app_context():
        db.create_all()
    world = build_world(app)
    with app.app_context():  # index everything now, not in the first request
        if app.config["SEARCH_ENABLED"]:
            app.extensions["searching"].settle()
        db.session.remove()
    return app, world


def token_of(client) -> str:
    """A CSRF token of the client's session (from the login page, or any page when signed in)."""
    for url in ("/login", "/"):
        match = CSRF_RE.search(client.get(url).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no CSRF token on /login or /")


def role_clients(app) -> dict:
    """A test client per role, signed in through the login form (the guest is not)."""
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role != "guest":
            response = client.post("/login", data={
                "login": role, "password": PASSWORD, "csrf_token": token_of(client)})
            assert response.status_code == 302, f"{role} could not sign in"
        clients[role] = client
    return clients


def teardown_app(app) -> None:
    """Close the app's database connections."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def world_app(request, tmp_path_factory):
    """(app, world, clients by role) for one test module, on SQLite and on PostgreSQL."""
    app, world = make_world_app(tmp_path_factory, world_database(request))
    yield app, world, role_clients(app)
    teardown_app(app)
