"""Logs: one line per request with its timing, and search events with their counts."""
import logging
import re

import pytest

from forum import logs
from forum.searching.verify import repair, verify
from forum.threads import services
from tests.factories import make_category, make_user

LINE = re.compile(r"^(GET|POST) (\S+) (\d{3}) (\d+\.\d)ms user=(\S+)$")


def request_lines(caplog) -> list[tuple]:
    return [LINE.match(r.getMessage()).groups() for r in caplog.records
            if r.name == "forum.requests"]


def test_one_line_per_request_with_status_timing_and_user(app, client, auth, caplog):
    with app.app_context():
        amina_id = make_user("amina").id
    caplog.set_level(logging.INFO, logger="forum.requests")
    client.get("/healthz")
    client.get("/no-such-page")
    assert [(m, p, s, u) for m, p, s, _, u in request_lines(caplog)] == [
        ("GET", "/healthz", "200", "-"), ("GET", "/no-such-page", "404", "-")]
    auth.login()
    caplog.clear()
    client.get("/")
    [(method, path, status, ms, user)] = request_lines(caplog)
    assert (method, path, status, user) == ("GET", "/", "200", str(amina_id))
    assert 0 < float(ms) < 60_000


def test_search_text_and_secret_tokens_stay_out_of_the_log(app, client, caplog):
    caplog.set_level(logging.INFO, logger="forum.requests")
    client.get("/search?q=confidential+budget")
    client.get("/reset/secret-reset-token-123")
    client.get("/unsubscribe/secret-unsub-token-456")
    paths = [p for _, p, *_ in request_lines(caplog)]
    assert paths == ["/search", "/reset/<token>", "/unsubscribe/<token>"]
    assert "confidential" not in caplog.text and "secret-" not in caplog.text


def test_search_events_are_logged_with_counts(search_app, caplog):
    service = search_app.extensions["searching"]
    author, climate = make_user("amina"), make_category("Climate")
    service.settle()
    caplog.set_level(logging.INFO, logger="forum.searching")
    thread = services.create_thread(author, climate, "Data sharing agreements", "DSA-9.")
    other = services.create_thread(author, climate, "Census microdata", "Microdata.")
    messages = [r.getMessage() for r in caplog.records]
    assert sum(bool(re.fullmatch(r"Batch indexed: 1 thread\(s\) \(\d+ encoded field\(s\)\) "
                                 r"in \d+ ms, as change \d+", m)) for m in messages) == 2
    assert sum(m.startswith("View swapped: 1 document(s) applied") for m in messages) == 2

    view = service.view  # this process's vector for the thread goes wrong: repair requeues it
    wrong = view.dense.with_changes({thread.id: view.dense.vectors([other.id])[0]})
    service.view = type(view)(view.config, view.lexical, wrong, view.queries)
    caplog.clear()
    repair(service, verify(service))
    assert "Search repair: 1 thread(s) requeued" in [r.getMessage() for r in caplog.records]


@pytest.fixture
def bare_logger():
    """A logger to configure (call no_root_handlers in the test: pytest adds its own there)."""
    logger = logging.getLogger("forum-test-logs")
    yield logger
    logger.handlers.clear()
    logger.__dict__.pop("_forum_configured", None)
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


def no_root_handlers(monkeypatch) -> None:
    """As if nothing had set up logging yet (a bare `gunicorn` or `flask run`)."""
    monkeypatch.setattr(logging.getLogger(), "handlers", [])


def test_under_gunicorn_records_go_to_its_error_log(bare_logger, monkeypatch):
    no_root_handlers(monkeypatch)
    handler = logging.NullHandler()
    monkeypatch.setattr(logging.getLogger("gunicorn.error"), "handlers", [handler])
    logs.configure(bare_logger)
    logs.configure(bare_logger)  # once only
    assert bare_logger.handlers == [handler] and bare_logger.level == logging.INFO


def test_elsewhere_records_go_to_stderr(bare_logger, monkeypatch):
    no_root_handlers(monkeypatch)
    monkeypatch.setattr(logging.getLogger("gunicorn.error"), "handlers", [])
    logs.configure(bare_logger)
    [handler] = bare_logger.handlers
    assert isinstance(handler, logging.StreamHandler) and bare_logger.propagate is False


def test_a_host_that_set_up_logging_keeps_its_own_handlers(bare_logger, monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "handlers", [logging.NullHandler()])
    logs.configure(bare_logger)
    assert bare_logger.handlers == [] and bare_logger.propagate is True
