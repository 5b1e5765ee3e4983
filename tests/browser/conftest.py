"""One live server and one Chromium for the whole browser session.

The server is the real app on a free loopback port (werkzeug, in a thread), on a
temporary instance with the demo community and the real model; the index is warm
before the first test. Encoding the demo takes most of a minute on two cores, so
the embeddings are cached between runs in pytest's cache folder, keyed by the
demo thread's external id. The cache only ever saves work: the app compares each
text's digest with the cached vector's and re-encodes whatever changed.

Every page opened through the `page` fixture records console errors and uncaught
exceptions; a test that leaves any behind fails at teardown.
"""
import contextlib
import json
import os
import threading

import numpy as np
import pytest
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from forum import create_app
from forum.demo import load_demo
from forum.extensions import db
from forum.models import Thread, ThreadEmbedding
from tests.browser.helpers import demo_threads

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CACHE_KEY = "headstart/browser-demo-embeddings"


@pytest.fixture(scope="session")
def chromium_path():
    """Debian's chromium, or a skip that says how to get it."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run `make browser-deps` "
                    "(apt-get install chromium) to run the browser tests")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, pytestconfig, chromium_path):
    """The app behind the live server: demo content loaded, search index warm."""
    instance = tmp_path_factory.mktemp("browser-instance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORUM_INSTANCE_PATH", str(instance))
        app = create_app({
            "SECRET_KEY": "browser-tests", "SQLALCHEMY_DATABASE_URI":
                f"sqlite:///{instance / 'forum.sqlite'}",
            "SEARCH_ENABLED": True, "SEARCH_INDEX_DIR": str(instance / "search"),
            "SEARCH_WORKER": "thread",  # the production path: a background thread indexes
            # No verify-and-repair rounds: in a session-long server they would run in the
            # middle of unrelated tests (the rounds have their own tests).
            "SEARCH_REPAIR_SECONDS": 0,
            # Every request comes from 127.0.0.1; the suite must not trip the limits.
            "RATELIMIT_ENABLED": False,
        })
    cache = _EmbeddingCache(pytestconfig)
    service = app.extensions["searching"]
    with app.app_context():
        db.create_all()
        with service.paused():
            load_demo(echo=lambda message: None)
        cache.seed()
        service.settle()  # the index is warm before the first page is served
        cache.store()
        db.session.remove()
    service.start_background()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def demo(live_app):
    """Every demo thread by external id (ids, titles, categories, paths)."""
    return demo_threads(live_app)


@pytest.fixture(scope="session")
def base_url(live_app):
    """http://127.0.0.1:<port> of the running server."""
    with serving(live_app) as url:
        yield url


@contextlib.contextmanager
def serving(app):
    """Serve `app` on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, _closes_on_drop(app), threaded=True,
                         request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


APP_ITER = "headstart.tests.app_iter"


def _closes_on_drop(app):
    """Keep each response's iterator in its environ, for `_QuietHandler.connection_dropped`."""
    def closes_on_drop(environ, start_response):
        environ[APP_ITER] = iterator = app(environ, start_response)
        return iterator
    return closes_on_drop


class _QuietHandler(WSGIRequestHandler):
    """Keep the access log out of failure reports; errors are still logged by the app.

    When Chromium resets a connection (it drops favicon and cached-asset requests freely),
    werkzeug's development server raises out of its clean-up before it closes the
    response, so a `send_file` response's open file is left to the garbage collector,
    whose ResourceWarning then fails whichever test is running. Closing the response
    here is what the server would have done.
    """

    def log_request(self, *args, **kwargs):
        pass

    def connection_dropped(self, error, environ=None):
        iterator = (environ or {}).get(APP_ITER)
        if hasattr(iterator, "close"):
            iterator.close()


class ConsoleWatch:
    """Console errors and uncaught exceptions of every page in a context."""

    def __init__(self):
        self.errors: list[str] = []

    def attach(self, page) -> None:
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(
            f"console error on {page.url}: {msg.text}"))
        page.on("pageerror", lambda exc: self.errors.append(f"exception on {page.url}: {exc}"))


@pytest.fixture
def js_errors():
    """The list every page of the test reports its JavaScript errors into."""
    return ConsoleWatch()


@pytest.fixture
def new_page(browser, base_url, js_errors):
    """Open pages in fresh browser contexts (own cookies and storage); errors are watched."""
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(base_url=base_url, **context_options)
        context.set_default_timeout(10_000)
        context.on("page", js_errors.attach)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert js_errors.errors == [], "JavaScript errors:\n" + "\n".join(js_errors.errors)


@pytest.fixture
def page(new_page):
    """A guest's page in a fresh context."""
    return new_page()


class _EmbeddingCache:
    """Demo embeddings by external id, in pytest's cache folder (.pytest_cache).

    Rows are stored column by column, so a change to the ThreadEmbedding model
    makes an old cache unusable (it is ignored and rewritten), never wrong.
    """

    def __init__(self, config):
        cache = getattr(config, "cache", None)  # None under -p no:cacheprovider
        self.path = cache.mkdir(CACHE_KEY.replace("/", "-")) / "embeddings.npz" if cache else None
        self.columns = sorted(c.key for c in ThreadEmbedding.__table__.columns
                              if c.key not in ("thread_id", "vector", "updated_at"))

    def seed(self) -> None:
        """Put cached vectors into thread_embeddings for threads that still exist."""
        if self.path is None or not self.path.exists():
            return
        data = np.load(self.path, allow_pickle=False)
        meta = json.loads(str(data["meta"]))
        if not isinstance(meta, dict) or meta.get("columns") != self.columns:
            return
        ids = {ext: tid for ext, tid in db.session.execute(select(Thread.external_id, Thread.id))}
        for (external_id, values), vector in zip(meta["rows"], data["vectors"]):
            if external_id in ids:
                db.session.add(ThreadEmbedding(
                    thread_id=ids[external_id], vector=np.asarray(vector, np.float32).tobytes(),
                    **dict(zip(self.columns, values))))
        db.session.commit()

    def store(self) -> None:
        """Save the vectors the app now holds, for the next run."""
        if self.path is None:
            return
        rows = db.session.execute(
            select(Thread.external_id, ThreadEmbedding).join(
                Thread, Thread.id == ThreadEmbedding.thread_id)
            .where(Thread.external_id.is_not(None))).all()
        if not rows:
            return
        meta = {"columns": self.columns,
                "rows": [(ext, [getattr(e, c) for c in self.columns]) for ext, e in rows]}
        vectors = np.stack([np.frombuffer(e.vector, dtype=np.float32) for _, e in rows])
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, meta=np.array(json.dumps(meta)), vectors=vectors)
        os.replace(tmp, self.path)
