"""Shared fixtures (flaskr style): app, client, runner, auth, csrf_token, postgres_url.

CSRF stays ON in tests, so the `auth` helper reads the token from the form page like
a browser would. Tests adjust the app config with @pytest.mark.app_config(KEY=value).

`--db` chooses the database behind the `app` fixture (`make test` runs both passes):
  (unset)      SQLite, and tests parametrized with "postgres" run on PostgreSQL too;
  sqlite       the SQLite pass: every test except the "postgres" variants;
  postgresql   the PostgreSQL pass: every test that touches the database, on a fresh
               PostgreSQL database per test (copied from a template that has the schema);
               the "postgres" variants run here, the "sqlite" variants, browser tests and
               tests without a database are left to the SQLite pass.
"""
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid

import pytest
from sqlalchemy import event

from forum import create_app
from forum.extensions import db

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "correct-horse-42"  # the factories' default password


BACKENDS = ("sqlite", "postgres")
# Fixtures through which a test reaches a database (the PostgreSQL pass runs these tests).
DATABASE_FIXTURES = {"app", "world", "search_db", "bare_app", "postgres_url"}


def pytest_addoption(parser):
    """--db: which database the `app` fixture uses (see the module docstring)."""
    parser.addoption("--db", choices=("sqlite", "postgresql"), default=None,
                     help="run the SQLite pass or the PostgreSQL pass of the suite")


def pytest_configure(config):
    """Register this conftest's marker (unknown markers are errors under filterwarnings)."""
    config.addinivalue_line("markers", "app_config(**kw): extra config for the app fixture")


def pytest_collection_modifyitems(config, items):
    """With --db, keep only the tests of that pass."""
    chosen = config.getoption("--db")
    if chosen is None:
        return
    keep, drop = [], []
    for item in items:
        (keep if _in_pass(item, chosen) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _in_pass(item, chosen: str) -> bool:
    """Whether a collected test belongs to the SQLite or the PostgreSQL pass."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    backend = next((v for v in params.values() if isinstance(v, str) and v in BACKENDS), None)
    if backend is None and item.get_closest_marker("postgres"):
        backend = "postgres"  # a test of PostgreSQL alone (e.g. two servers on one database)
    if backend is None and item.get_closest_marker("sqlite_only"):
        backend = "sqlite"  # a test of SQLite itself (its journal mode, its locks)
    if chosen == "sqlite":
        return backend != "postgres"
    if backend is not None:
        return backend == "postgres"
    if item.get_closest_marker("browser"):
        return False
    return bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


def default_backend(config) -> str:
    """The backend of a test that does not choose one: "postgres" in the PostgreSQL pass."""
    return "postgres" if config.getoption("--db") == "postgresql" else "sqlite"


def get_csrf_token(client, url: str = "/login") -> str:
    """The CSRF token from a form (or the log-out button) on the page at `url`."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def _base_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-" + secrets.token_hex(8),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        "SEARCH_ENABLED": False,
        # Tests that switch search on index in the committing request, so results are
        # there when the next line asks; the background thread has tests of its own.
        "SEARCH_WORKER": "inline",
    }


@pytest.fixture
def app(request, tmp_path, monkeypatch):
    """A fresh app and database per test; parametrize indirectly with "postgres" for PostgreSQL."""
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(instance))
    backend = getattr(request, "param", None) or default_backend(request.config)
    if backend == "postgres":
        url = _fresh_database(request.getfixturevalue("postgres_url"),
                              template=request.getfixturevalue("postgres_template"))
    else:
        url = f"sqlite:///{instance / 'forum.sqlite'}"
    config = _base_config(url)
    marker = request.node.get_closest_marker("app_config")
    if marker:
        config.update(marker.kwargs)
    app = create_app(config)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _fast_sqlite(db.engine)
            db.create_all()  # (a PostgreSQL database is a copy of the schema's template)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # close pooled connections so the database can be dropped
    if backend == "postgres":
        _drop_database(url)


def _fast_sqlite(engine) -> None:
    """No fsync per commit: a throwaway test database need not survive a power cut."""
    def pragmas(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA synchronous=OFF")
    event.listen(engine, "connect", pragmas)
    engine.dispose()  # connections opened before the listener do not have it


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for the app's CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def csrf_token():
    """The get_csrf_token(client, url) helper."""
    return get_csrf_token


class AuthActions:
    """Log in and out through the real forms, CSRF token included."""

    def __init__(self, client):
        self._client = client

    def login(self, username: str = "amina", password: str = PASSWORD, **extra):
        """POST the login form; returns the response (not followed)."""
        token = get_csrf_token(self._client, "/login")
        data = {"login": username, "password": password, "csrf_token": token, **extra}
        return self._client.post("/login", data=data)

    def logout(self):
        """POST the log-out button with the token from the page header."""
        token = get_csrf_token(self._client, "/")
        return self._client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    """AuthActions bound to the client."""
    return AuthActions(client)


# --- PostgreSQL: a throwaway cluster on loopback, started once per session -----------

def _postgres_bindir():
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(cmd, run_as):
    done = subprocess.run(run_as + cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:1])} failed: {done.stderr or done.stdout}")


@pytest.fixture(scope="session")
def postgres_url():
    """A postgresql+psycopg:// URL to a database in a throwaway local cluster."""
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (make postgres-deps, or apt-get install postgresql)")
    base = tempfile.mkdtemp(prefix="headstart-pg-")
    run_as = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    password, port = secrets.token_hex(16), _free_port()
    pwfile = os.path.join(base, "pw")
    with open(pwfile, "w") as fh:
        fh.write(password)
    if run_as:
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
    data = os.path.join(base, "data")
    # Password auth on TCP: other local users cannot use the cluster while tests run.
    _run([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--pwfile", pwfile, "-E", "UTF8",
          "--locale=C", "--auth-host=scram-sha-256", "--auth-local=peer", "--no-sync"], run_as)
    options = (f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off")
    _run([f"{bindir}/pg_ctl", "-D", data, "-o", options, "-l", f"{base}/log", "-w", "start"],
         run_as)
    server = f"postgresql+psycopg://postgres:{password}@127.0.0.1:{port}"
    try:
        yield _create_database(server, "headstart_test")
    finally:
        subprocess.run(run_as + [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_template(postgres_url):
    """The name of a database holding today's schema, copied for each PostgreSQL test."""
    name = "headstart_template"
    url = _create_database(postgres_url.rsplit("/", 1)[0], name)
    app = create_app({"TESTING": True, "SECRET_KEY": "template", "SEARCH_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()  # CREATE DATABASE … TEMPLATE needs it unused
    return name


def _admin_dsn(server_url: str) -> str:
    return server_url.replace("postgresql+psycopg://", "postgresql://") + "/postgres"


def _create_database(server_url: str, name: str, template: str | None = None) -> str:
    """CREATE DATABASE on the server (a copy of `template` if given); returns its URL."""
    import psycopg
    with psycopg.connect(_admin_dsn(server_url), autocommit=True) as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        if template and conn.info.server_version >= 150000:
            # For a small template, copying its files beats WAL-logging every page (15's default).
            copy += " STRATEGY FILE_COPY"
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    return f"{server_url}/{name}"


def _drop_database(url: str) -> None:
    """DROP a test's database (its files would otherwise pile up over a whole pass)."""
    import psycopg
    server_url, name = url.rsplit("/", 1)
    with psycopg.connect(_admin_dsn(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_database(postgres_url: str, template: str | None = None) -> str:
    """A new database on the session's cluster, for one test (empty unless from a template)."""
    return _create_database(postgres_url.rsplit("/", 1)[0], f"t_{uuid.uuid4().hex[:12]}",
                            template)
