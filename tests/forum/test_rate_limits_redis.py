"""Issue 12: with RATELIMIT_STORAGE_URI pointing at Redis, budgets are shared by every server
process. A throwaway redis-server on loopback; skipped when it is not installed."""
import shutil
import socket
import subprocess
import time

import pytest

from forum import create_app
from tests.conftest import _base_config

redis = pytest.importorskip("redis")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """redis://127.0.0.1:PORT of a private server without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.skip("redis-server did not start")
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _worker(tmp_path, monkeypatch, name, redis_url):
    """An app as one server process would build it, rate limits stored in Redis."""
    instance = tmp_path / name
    instance.mkdir()
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(instance))
    config = _base_config(f"sqlite:///{tmp_path / 'shared.sqlite'}")
    config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url,
                  RATE_LIMITS={"model_api": "3 per minute"})
    return create_app(config)


def test_two_workers_spend_one_budget_in_redis(tmp_path, monkeypatch, redis_url):
    redis.Redis.from_url(redis_url).flushall()
    first = _worker(tmp_path, monkeypatch, "one", redis_url)
    from forum.extensions import db
    with first.app_context():
        db.create_all()
    assert first.test_client().get("/api/v1/similar?title=funds").status_code == 200
    assert first.test_client().get("/api/v1/search?q=funds").status_code == 200
    # A second process starts with nothing in memory: what it knows comes from Redis.
    second = _worker(tmp_path, monkeypatch, "two", redis_url)
    assert second.test_client().get("/api/v1/similar?title=funds").status_code == 200
    response = second.test_client().get("/api/v1/search?q=funds")
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert redis.Redis.from_url(redis_url).keys("LIMITS:*model_api*")
