"""Crash consistency (issue 12): SIGKILL the server in a burst of posting, the import in the
middle of an archive and the reindex in the middle of encoding; after a restart every
acknowledged post is there, nothing is doubled, and `flask search verify` exits 0 once
the worker has caught up. Real gunicorn, real CLI processes, the real model, SQLite (WAL)
and PostgreSQL.
"""
import json
import os
import signal
import subprocess
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from forum import create_app
from forum.extensions import db
from tests.conftest import BACKENDS, PASSWORD
from tests.factories import make_category, make_thread, make_user
from tests.live_server import FLASK, REPO, Browser, Server, flask_cli, forum_env, sql_scalar

pytestmark = pytest.mark.slow


@pytest.fixture(params=BACKENDS)
def site(request, tmp_path):
    """(instance folder, database URL, environment, thread id) of a seeded forum, on SQLite
    and on a fresh PostgreSQL database (each in its pass of `make test`)."""
    instance = tmp_path / "instance"
    instance.mkdir()
    if request.param == "postgres":
        from tests.conftest import _fresh_database
        url = _fresh_database(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{instance / 'forum.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "seed",
                      "SEARCH_ENABLED": False})
    with app.app_context():
        db.create_all()
        amina = make_user("amina", password=PASSWORD)
        funds = make_category("Pooled funding")
        thread_id = make_thread(amina, funds, "Pooled fund governance", "Who chairs?").id
        db.session.remove()
        db.engine.dispose()
    return instance, url, forum_env(instance, url), thread_id


def _caught_up_and_verified(env, url, timeout=180):
    """Wait for an empty queue (a running worker, or `search worker --once`); then verify."""
    deadline = time.monotonic() + timeout
    while sql_scalar(url, "SELECT count(*) FROM search_queue"):
        assert time.monotonic() < deadline, "the queue did not drain"
        time.sleep(0.5)
    done = flask_cli(env, "search", "verify")
    assert done.returncode == 0, done.stderr + done.stdout


def test_sigkill_during_a_burst_of_posting_loses_no_acknowledged_post(site, tmp_path):
    instance, url, env, thread_id = site
    server = Server(env, str(tmp_path / "server.log"), workers=2, threads=2).start()
    acked, answers, stop = [], [], threading.Event()

    def writer(n):
        client = Browser(server.url)
        try:
            client.log_in("amina", PASSWORD)
            token = client.token(f"/threads/{thread_id}")
        except OSError:
            return  # the kill came before this writer had signed in: it posted nothing
        i = 0
        while not stop.is_set():
            body = f"Burst reply w{n}-{i}."
            try:
                status, _ = client.post_form(f"/threads/{thread_id}/reply", {"body": body},
                                             token)
            except OSError:
                return  # the server died under this request: not acknowledged
            answers.append(status)
            if status < 400:
                acked.append(body)
            i += 1

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for w in writers:
        w.start()
    deadline = time.monotonic() + 60
    while len(acked) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()  # SIGKILL, mid-burst
    stop.set()
    for w in writers:
        w.join()
    assert len(acked) >= 30 and all(s < 500 for s in answers), answers[-5:]
    server.start(wait_for_model=True)
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            stored = list(conn.scalars(text("SELECT body FROM posts WHERE body LIKE 'Burst%'")))
        engine.dispose()
        assert set(acked) <= set(stored)  # every acknowledged reply survived
        assert len(stored) == len(set(stored))  # and none twice
        _caught_up_and_verified(env, url)
    finally:
        server.stop()


def _archive(path, n):
    with open(path, "w") as fh:
        for i in range(n):
            fh.write(json.dumps({
                "external_id": f"crash-{i:04}", "title": f"Archived question number {i}",
                "body": f"How did your office handle procurement case {i}?",
                "category": "Archive", "author": f"archivist{i % 7}",
                "replies": [{"body": f"We used framework agreements ({i}).",
                             "author": "helper"}]}) + "\n")


def _start(env, *args):
    return subprocess.Popen([FLASK, "--app", "forum", *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _kill_when(process, ready, timeout=120):
    """SIGKILL the process group once ready() is true (or the process ended by itself)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_sigkill_during_import_then_reimport_gives_every_thread_once(site, tmp_path):
    instance, url, env, _ = site
    archive = tmp_path / "archive.jsonl"
    _archive(archive, 250)  # the importer commits every 200 lines: killed between batches
    importer = _start(env, "threads", "import", str(archive))
    # Killed mid-archive: as soon as the first batch of archived threads is committed.
    _kill_when(importer, lambda: sql_scalar(
        url, "SELECT count(*) FROM threads WHERE external_id LIKE 'crash-%'") > 0)
    assert importer.returncode == -signal.SIGKILL, "the import finished before the kill"
    again = flask_cli(env, "threads", "import", str(archive))
    assert again.returncode == 0, again.stderr
    assert sql_scalar(url, "SELECT count(*) FROM threads WHERE external_id LIKE 'crash-%'") == 250
    assert sql_scalar(url, "SELECT count(DISTINCT external_id) FROM threads "
                        "WHERE external_id LIKE 'crash-%'") == 250
    assert sql_scalar(url, "SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id "
                        "WHERE t.external_id LIKE 'crash-%'") == 500
    _caught_up_and_verified(env, url)


def test_sigkill_during_reindex_then_verify_passes_after_the_worker_catches_up(site, tmp_path):
    instance, url, env, _ = site
    # The killed reindex's lease passes to the restarted server's worker after this (not 60 s).
    (instance / "config.py").write_text("SEARCH_LEASE_SECONDS = 10\n")
    archive = tmp_path / "archive.jsonl"
    _archive(archive, 300)  # enough that the int8 encoder is still busy when polled
    assert flask_cli(env, "threads", "import", str(archive)).returncode == 0
    reindex = _start(env, "search", "reindex", "--reencode")
    # Killed mid-encoding: once the queue holds every thread and some are done.
    _kill_when(reindex, lambda: 0 < sql_scalar(url, "SELECT count(*) FROM search_queue") < 290)
    assert reindex.returncode == -signal.SIGKILL, "the reindex finished before the kill"
    server = Server(env, str(tmp_path / "server.log")).start(wait_for_model=True)
    try:  # the restarted server's worker picks the queue up where the reindex died
        _caught_up_and_verified(env, url)
    finally:
        server.stop()
