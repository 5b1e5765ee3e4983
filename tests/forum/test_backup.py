"""`flask backup` / `flask restore`: a running forum, backed up while a member posts, restored
into an empty database; every thread and post compares equal and `search verify` passes."""
import threading
from datetime import datetime, timedelta, timezone
import time

import pytest
from sqlalchemy import create_engine, text

from forum import create_app
from forum.extensions import db
from tests.conftest import PASSWORD, _fresh_database
from tests.factories import make_category, make_thread, make_user
from tests.live_server import Browser, Server, flask_cli, forum_env, sql_scalar

pytestmark = pytest.mark.slow
TABLES = {"threads": "id", "posts": "id", "users": "id", "categories": "id",
          "thread_embeddings": "thread_id"}


def _url(kind, tmp_path, name, request):
    if kind == "postgres":
        return _fresh_database(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / name / 'forum.sqlite'}"


def _seed(instance, url) -> int:
    """amina, a category and three threads; returns the first thread's id."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "seed",
                      "SEARCH_ENABLED": False})
    with app.app_context():
        db.create_all()
        amina = make_user("amina", password=PASSWORD)
        funds = make_category("Pooled funding")
        first = make_thread(amina, funds, "Pooled fund governance", "Who chairs the board?")
        make_thread(amina, funds, "Vehicle leasing across agencies", "Any shared contracts?")
        make_thread(amina, funds, "Drought triggers for cash", "Which rainfall index worked?")
        thread_id = first.id
        db.session.remove()
        db.engine.dispose()
    return thread_id


def _rows(url: str) -> dict[str, dict]:
    """Every row of the compared tables, keyed by primary key."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return {name: {row._mapping[key]: tuple(row) for row in
                           conn.execute(text(f"SELECT * FROM {name} ORDER BY {key}"))}
                    for name, key in TABLES.items()}
    finally:
        engine.dispose()


def _wait_for_embeddings(url: str, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(_rows(url)["thread_embeddings"]) < count:
        assert time.monotonic() < deadline, "the server's worker did not embed the threads"
        time.sleep(0.5)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_backup_of_a_running_forum_restores_every_thread_and_post(kind, tmp_path, request):
    source_dir, target_dir = tmp_path / "source", tmp_path / "target"
    source_dir.mkdir(), target_dir.mkdir()
    source, target = _url(kind, tmp_path, "source", request), _url(kind, tmp_path, "target", request)
    thread_id = _seed(source_dir, source)
    server = Server(forum_env(source_dir, source), str(tmp_path / "server.log")).start(
        wait_for_model=True)
    try:
        _wait_for_embeddings(source, 3)
        member = Browser(server.url)
        member.log_in("amina", PASSWORD)
        token = member.token(f"/threads/{thread_id}")
        acked, stop = [], threading.Event()

        def write():
            while not stop.is_set():
                n = len(acked)
                status, _ = member.post_form(f"/threads/{thread_id}/reply",
                                             {"body": f"Reply number {n}."}, token)
                assert status == 302, status
                acked.append(n)

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(1.0)
        before_backup = len(acked)
        backup_file = str(tmp_path / "forum.backup")
        done = flask_cli(forum_env(source_dir, source), "backup", backup_file)
        stop.set()
        writer.join()
        assert done.returncode == 0, done.stderr
        assert "Backed up" in done.stdout
    finally:
        server.stop()
    assert before_backup > 0 and len(acked) > before_backup  # it really ran during writes

    restored = flask_cli(forum_env(target_dir, target), "restore", backup_file)
    assert restored.returncode == 0, restored.stderr
    was, now = _rows(source), _rows(target)
    # A consistent snapshot: a prefix of the replies, each one equal to the source's row.
    newest = max(now["posts"])
    assert now["posts"] == {k: v for k, v in was["posts"].items() if k <= newest}
    replies = {n for n in range(len(acked)) if any(f"Reply number {n}." in v for v in
                                                   map(str, now["posts"].values()))}
    assert replies >= set(range(before_backup))  # acknowledged before the backup began
    for name in ("threads", "users", "categories"):
        assert now[name].keys() == was[name].keys(), name
    for name in ("users", "categories"):
        assert now[name] == was[name], name
    assert now["thread_embeddings"].keys() == was["thread_embeddings"].keys()
    verify = flask_cli(forum_env(target_dir, target), "search", "verify")
    assert verify.returncode == 0, verify.stderr + verify.stdout


def test_restore_refuses_a_database_with_content_unless_forced(tmp_path):
    source_dir, target_dir = tmp_path / "source", tmp_path / "target"
    source_dir.mkdir(), target_dir.mkdir()
    source = f"sqlite:///{source_dir / 'forum.sqlite'}"
    target = f"sqlite:///{target_dir / 'forum.sqlite'}"
    _seed(source_dir, source)
    env = forum_env(source_dir, source, SEARCH_ENABLED=0)
    assert flask_cli(env, "backup", str(tmp_path / "b.sqlite")).returncode == 0
    target_env = forum_env(target_dir, target, SEARCH_ENABLED=0)
    assert flask_cli(target_env, "init").returncode == 0  # an empty schema may be replaced
    assert flask_cli(target_env, "restore", str(tmp_path / "b.sqlite")).returncode == 0
    again = flask_cli(target_env, "restore", str(tmp_path / "b.sqlite"))
    assert again.returncode != 0 and "not empty" in again.stderr and "--force" in again.stderr
    forced = flask_cli(target_env, "restore", "--force", str(tmp_path / "b.sqlite"))
    assert forced.returncode == 0, forced.stderr
    assert _rows(target) == _rows(source)
    (tmp_path / "junk").write_text("not a database")
    junk = flask_cli(target_env, "restore", "--force", str(tmp_path / "junk"))
    assert junk.returncode != 0 and "not a forum backup" in junk.stderr


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_restore_does_not_wait_for_the_lease_the_backup_carried(kind, tmp_path, request):
    """A backup of a running forum holds its worker's lease on the search queue; the restored
    forum is indexed at once, not when that lease runs out (here: never, within the test)."""
    source_dir, target_dir = tmp_path / "source", tmp_path / "target"
    source_dir.mkdir(), target_dir.mkdir()
    source, target = _url(kind, tmp_path, "source", request), _url(kind, tmp_path, "target", request)
    _seed(source_dir, source)
    sql_scalar(source, "DELETE FROM search_state")
    sql_scalar(source, "INSERT INTO search_state (id, seq, lease_owner, lease_until) VALUES "
                     "(1, 0, 'web-1:4242:0badc0de', :until)",
             until=datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=1))
    backup_file = str(tmp_path / "forum.backup")
    assert flask_cli(forum_env(source_dir, source), "backup", backup_file).returncode == 0
    restored = flask_cli(forum_env(target_dir, target), "restore", backup_file, timeout=150)
    assert restored.returncode == 0, restored.stderr
    assert "Indexed 3 threads." in restored.stdout
    assert sql_scalar(target, "SELECT count(*) FROM search_queue") == 0
    assert sql_scalar(target, "SELECT lease_owner FROM search_state") != "web-1:4242:0badc0de"

