"""Two real server processes (gunicorn) on one PostgreSQL and one index folder.

A thread posted or edited through one server is suggested by both within two
seconds: the poster's process indexes it in its background thread (or whichever
holds the worker's lease does), and every process follows the numbered documents.
"""
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from forum import create_app
from forum.extensions import db
from tests.conftest import PASSWORD, _fresh_database
from tests.factories import make_category, make_thread, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A cookie-keeping HTTP client for one server."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post_form(self, path: str, form_page: str, data: dict) -> int:
        token = TOKEN.search(self.get(form_page)).group(1)
        body = urllib.parse.urlencode({**data, "csrf_token": token}).encode()
        with self.opener.open(self.base + path, body, timeout=60) as response:
            return response.status

    def similar(self, title: str) -> dict:
        request = urllib.request.Request(self.base + "/api/v1/similar", json.dumps(
            {"title": title, "limit": 3}).encode(), {"Content-Type": "application/json"})
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture
def servers(tmp_path, postgres_url):
    """Two gunicorn servers, one worker each, on a fresh database with a member and a thread."""
    url = _fresh_database(postgres_url)
    instance = tmp_path / "instance"
    instance.mkdir()
    env = {**os.environ, "DATABASE_URL": url, "FORUM_INSTANCE_PATH": str(instance),
           "SECRET_KEY": "servers-test", "RATELIMIT_ENABLED": "0", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "SEARCH_WORKER": "thread"}
    os.environ["FORUM_INSTANCE_PATH"] = str(instance)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "servers-test",
                      "SEARCH_ENABLED": False})
    with app.app_context():
        db.create_all()
        member = make_user("amina", password=PASSWORD)
        category = make_category("Pooled funding")
        make_thread(member, category, "Pooled fund governance", "Who chairs the board?")
        category_id = category.id
        db.session.remove()
        db.engine.dispose()
    processes, clients, logs = [], [], []
    for _ in range(2):
        port = free_port()
        logs.append(open(tmp_path / f"{port}.log", "w"))
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
             "--timeout", "120", "--graceful-timeout", "5", "forum.wsgi:app"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=logs[-1]))
        clients.append(Browser(f"http://127.0.0.1:{port}"))
    try:
        deadline = time.monotonic() + 240
        for client in clients:  # both up, with the model loaded
            while True:
                try:
                    if client.similar("pooled fund governance")["mode"] == "hybrid":
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "servers did not start"
                time.sleep(0.5)
        yield clients, category_id
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process, log in zip(processes, logs):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        del os.environ["FORUM_INSTANCE_PATH"]


def seconds_until_suggested(client: Browser, code: str, title: str, since: float) -> float:
    while True:
        results = client.similar(code)["results"]
        if results and results[0]["title"] == title:
            return time.monotonic() - since
        if time.monotonic() - since > 10:
            return float("inf")
        time.sleep(0.05)


def test_a_posted_and_an_edited_thread_are_suggested_by_every_server_within_2_seconds(servers):
    (first, second), category_id = servers
    first.post_form("/login", "/login", {"login": "amina", "password": PASSWORD})
    status = first.post_form("/threads/new", "/threads/new", {
        "title": "Vehicle leasing across agencies", "body": "Lease code LEASE-4711 applies.",
        "category": str(category_id), "kind": "question", "submit": "Post thread"})
    posted = time.monotonic()
    assert status == 200  # the redirect to the new thread was followed
    for client in (first, second):
        assert seconds_until_suggested(client, "LEASE-4711", "Vehicle leasing across agencies",
                                       posted) <= 2.0
    page = first.get("/search?q=LEASE-4711")
    thread_path = re.search(r'href="(/threads/\d+[^"]*)"', page).group(1)
    edit_page = re.search(r'href="(/posts/\d+/edit)"', first.get(thread_path)).group(1)
    first.post_form(edit_page, edit_page, {
        "title": "Vehicle leasing across agencies", "body": "Now code LEASE-9000 applies.",
        "submit": "Save changes"})
    edited = time.monotonic()
    for client in (first, second):
        assert seconds_until_suggested(client, "LEASE-9000", "Vehicle leasing across agencies",
                                       edited) <= 2.0
