"""Real server processes and CLI commands for the reliability tests (issue 12).

A server is gunicorn running `forum.wsgi:app` on a free loopback port, configured only
through the environment, exactly as `make run` starts it; `Browser` talks to it over
HTTP with its own cookies. `flask_cli` runs `flask --app forum ...` in a subprocess.
"""
from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLASK = os.path.join(os.path.dirname(sys.executable), "flask")
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def sql_scalar(url: str, sql: str, **params):
    """Run one statement on the database at `url`, on a connection of its own, committed;
    its first value when it returns rows."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def forum_env(instance, database_url: str, **extra) -> dict:
    """The environment of a server or command on this instance and database."""
    env = {**os.environ, "FORUM_INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
           "SECRET_KEY": "reliability-tests", "RATELIMIT_ENABLED": "0", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "FORUM_DEMO": "0"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def flask_cli(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `flask --app forum ARGS` in a subprocess; returns the finished process."""
    return subprocess.run([FLASK, "--app", "forum", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


class Browser:
    """A cookie-keeping HTTP client that never raises on an HTTP status."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path: str, data: bytes | None = None, headers=None,
                timeout: float = 60) -> tuple[int, str]:
        """(status, body) of one request; redirects are not followed."""
        req = urllib.request.Request(self.base + path, data, headers or {})
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, exc.read().decode(errors="replace")
            except http.client.HTTPException as broken:  # the server died mid-answer
                raise ConnectionError(f"{path}: {broken!r}") from broken
        except http.client.HTTPException as broken:
            raise ConnectionError(f"{path}: {broken!r}") from broken

    def get(self, path: str) -> tuple[int, str]:
        """GET a page."""
        return self.request(path)

    def token(self, page: str = "/login") -> str:
        """The CSRF token on a page."""
        status, html = self.get(page)
        match = TOKEN.search(html)
        assert match, f"no CSRF token on {page} ({status})"
        return match.group(1)

    def post_form(self, path: str, data: dict, token: str | None = None) -> tuple[int, str]:
        """POST a form with a CSRF token (read from the login page unless given)."""
        body = {**data, "csrf_token": token or self.token()}
        return self.request(path, urllib.parse.urlencode(body).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def log_in(self, username: str, password: str) -> None:
        """Sign in through the login form."""
        status, _ = self.post_form("/login", {"login": username, "password": password})
        assert status == 302, f"login of {username} answered {status}"

    def json(self, path: str, payload=None) -> tuple[int, dict]:
        """GET (or POST `payload` as JSON) an API endpoint; (status, decoded answer)."""
        data = None if payload is None else json.dumps(payload).encode()
        status, text = self.request(path, data, {"Content-Type": "application/json"})
        try:
            return status, json.loads(text)
        except ValueError:
            return status, {"raw": text[:200]}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is the answer we want to see, not the page it points to


@dataclass
class Server:
    """One gunicorn process serving the forum."""

    env: dict
    log_path: str
    workers: int = 1
    threads: int = 1  # more than 1: gunicorn's gthread workers
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_for_model: bool = False, timeout: float = 240) -> "Server":
        """Start gunicorn and wait until it answers (and until meaning search is up)."""
        self.port = free_port()
        self._log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-b",
             f"127.0.0.1:{self.port}", "--threads", str(self.threads),
             "--timeout", "120", "--graceful-timeout", "5",
             "forum.wsgi:app"],
            cwd=REPO, env=self.env, stdout=subprocess.DEVNULL, stderr=self._log,
            start_new_session=True)  # SIGKILL of the group takes every worker with it
        deadline = time.monotonic() + timeout
        client = Browser(self.url)
        while True:
            assert self.process.poll() is None, f"server exited: {self.log()}"
            try:
                status, answer = client.json("/api/v1/similar?title=ready+check")
                if status == 200 and (not wait_for_model or answer.get("mode") == "hybrid"):
                    return self
            except OSError:
                pass
            assert time.monotonic() < deadline, f"server did not start: {self.log()}"
            time.sleep(0.3)

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: no shutdown code runs."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._close_log()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 30 seconds."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def log(self) -> str:
        """The server's stderr so far (the tail)."""
        with open(self.log_path) as fh:
            return fh.read()[-3000:]

    def _close_log(self) -> None:
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None
