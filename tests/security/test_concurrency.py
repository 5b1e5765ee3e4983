"""20 members post 20 replies each at the same time through real HTTP to a real server
(gunicorn, two processes with four threads each, the search thread indexing meanwhile):
every one of the 400 replies is stored exactly once and no answer is a 5xx.

SQLite runs in WAL mode with a busy timeout (forum/extensions.py configure_sqlite);
without them writers fail with "database is locked".
"""
import threading
from collections import Counter

import pytest
from sqlalchemy import create_engine, text

from forum import create_app
from forum.extensions import db
from tests.conftest import PASSWORD, _fresh_database
from tests.factories import make_category, make_thread, make_user
from tests.live_server import Browser, Server, forum_env

pytestmark = pytest.mark.slow
WRITERS, POSTS = 20, 20


def _seed(url: str) -> list[int]:
    """Twenty members and four threads to reply to; returns the thread ids."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "seed", "SEARCH_ENABLED": False})
    with app.app_context():
        db.create_all()
        writers = [make_user(f"writer{n:02}", password=PASSWORD) for n in range(WRITERS)]
        room = make_category("Busy room")
        ids = [make_thread(writers[n], room, f"Busy thread number {n}", "Reply here.").id
               for n in range(4)]
        db.session.remove()
        db.engine.dispose()
    return ids


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_400_concurrent_replies_all_stored_once_and_no_5xx(kind, tmp_path, request):
    instance = tmp_path / "instance"
    instance.mkdir()
    url = (_fresh_database(request.getfixturevalue("postgres_url")) if kind == "postgres"
           else f"sqlite:///{instance / 'forum.sqlite'}")
    threads = _seed(url)
    server = Server(forum_env(instance, url), str(tmp_path / "server.log"), workers=2,
                    threads=4).start()
    statuses: list[int] = []
    errors: list[str] = []
    ready = threading.Barrier(WRITERS)

    def writer(n: int):
        try:
            client = Browser(server.url)
            client.log_in(f"writer{n:02}", PASSWORD)
            thread_id = threads[n % len(threads)]
            token = client.token(f"/threads/{thread_id}")
            ready.wait()  # everyone starts posting at once
            for i in range(POSTS):
                status, _ = client.post_form(f"/threads/{thread_id}/reply",
                                             {"body": f"Concurrent reply w{n:02}-p{i:02}."}, token)
                statuses.append(status)
        except Exception as exc:  # noqa: BLE001 - reported below with the server's log
            errors.append(repr(exc))

    try:
        workers = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=600)
    finally:
        server.stop()
    assert not errors, errors[:3]
    log = server.log()
    assert Counter(statuses) == {302: WRITERS * POSTS}, (Counter(statuses), log)
    engine = create_engine(url)
    with engine.connect() as conn:
        bodies = Counter(conn.scalars(text(
            "SELECT body FROM posts WHERE body LIKE 'Concurrent reply %'")))
        counts = dict(conn.execute(text("SELECT id, reply_count FROM threads")).all())
    engine.dispose()
    expected = {f"Concurrent reply w{n:02}-p{i:02}." for n in range(WRITERS) for i in range(POSTS)}
    assert set(bodies) == expected and set(bodies.values()) == {1}  # 400 of 400, each once
    # The denormalised reply counts agree too: no lost update under contention.
    assert sum(counts[t] for t in threads) == WRITERS * POSTS


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_with_a_busy_timeout(app):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


@pytest.mark.sqlite_only
def test_pages_are_read_while_another_process_holds_the_write_lock(app, client):
    """WAL: a long write (an import, a backup restore) does not stall every reader."""
    import sqlite3
    with app.app_context():
        make_user("amina")
        path = db.engine.url.database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # in rollback-journal mode this locks readers out
    holder.execute("UPDATE users SET bio = 'busy' WHERE username = 'amina'")
    try:
        assert client.get("/u/amina").status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()
