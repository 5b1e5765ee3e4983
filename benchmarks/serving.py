"""Helpers for the serving benchmarks: temporary instances, gunicorn, wrk, a poster thread."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from common import REPO

FLASK = str(Path(sys.executable).with_name("flask"))
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {}
local n = 0
function init(args)
  for line in io.lines(args[1]) do table.insert(bodies, line) end
end
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT_JSON {\\"requests\\": %d, \\"seconds\\": %.3f, \\"errors\\": %d, "
    .. "\\"non2xx\\": %d, \\"p50_ms\\": %.2f, \\"p95_ms\\": %.2f, \\"p99_ms\\": %.2f}\\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def instance_env(instance: Path, **extra) -> dict:
    """Environment for the flask CLI and gunicorn on a temporary instance."""
    return {**os.environ, "FORUM_INSTANCE_PATH": str(instance), "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
            "RATELIMIT_ENABLED": "0", **extra}


def flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app forum ...`, failing loudly."""
    done = subprocess.run([FLASK, "--app", "forum", *args], cwd=REPO, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done


class Server:
    """gunicorn on a free port, stopped on exit."""

    def __init__(self, app: str, env: dict, workers: int = 2, cwd=REPO) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "--timeout", "120", app], cwd=cwd, env=env, stdout=self.log, stderr=self.log)
        self.started = time.monotonic()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.log.close()

    def wait(self, path: str = "/", timeout: float = 300) -> None:
        """Until the server answers ``path``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + path, timeout=5).read()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"server did not answer {path} within {timeout} s")


def post_json(url: str, payload: dict, timeout: float = 30) -> dict:
    """POST a JSON body, return the decoded answer."""
    request = urllib.request.Request(url, json.dumps(payload).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def wrk(url: str, bodies: list[dict], connections: int, seconds: int, threads: int = 2) -> dict:
    """Load ``url`` with POSTs cycling through ``bodies``; percentiles from wrk's histogram."""
    with tempfile.TemporaryDirectory() as tmp:
        script, lines = Path(tmp) / "post.lua", Path(tmp) / "bodies.txt"
        script.write_text(WRK_SCRIPT)
        lines.write_text("\n".join(json.dumps(b) for b in bodies) + "\n")
        done = subprocess.run(["wrk", "-t", str(min(threads, connections)), "-c", str(connections),
                               "-d", f"{seconds}s", "-s", str(script), url, "--", str(lines)],
                              capture_output=True, text=True)
    found = re.search(r"RESULT_JSON (\{.*\})", done.stdout)
    if not found:
        raise SystemExit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(found.group(1))
    result["rps"] = result["requests"] / max(result["seconds"], 1e-9)
    return result


class Poster(threading.Thread):
    """A signed-in member posting replies to one thread, as fast as ``every`` allows."""

    def __init__(self, base: str, login: str, password: str, thread_path: str,
                 every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.base, self.thread_path, self.every = base, thread_path, every
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self._form("/login", "/login", {"login": login, "password": password})
        self.stop, self.posted, self.errors = threading.Event(), 0, 0

    def _form(self, path: str, page: str, data: dict) -> int:
        html = self.opener.open(self.base + page, timeout=30).read().decode()
        body = urllib.parse.urlencode({**data, "csrf_token": TOKEN.search(html).group(1)})
        with self.opener.open(self.base + path, body.encode(), timeout=30) as response:
            return response.status

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._form(self.thread_path + "/reply", self.thread_path,
                           {"body": f"Reply {self.posted} while the load runs.",
                            "submit": "Post reply"})
                self.posted += 1
            except OSError:
                self.errors += 1
            self.stop.wait(self.every)
