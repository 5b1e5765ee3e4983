"""Logging: one line per request, and the forum's own loggers wired to the server's output.

Under gunicorn the forum's records go to gunicorn's error log handlers (its stderr by
default, one stream for the whole server); otherwise to a stream handler of their own.
Python logging throughout, so a deployment can reconfigure it (dictConfig) as it likes.
"""
from __future__ import annotations

import logging
import time

from flask import Flask, g, request

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
request_log = logging.getLogger("forum.requests")


def init_app(app: Flask) -> None:
    """Send the forum's log records somewhere visible, and log every request once."""
    configure(logging.getLogger("forum"))
    app.before_request(_start_timer)
    app.after_request(_log_request)


def configure(logger: logging.Logger) -> None:
    """INFO and above to gunicorn's handlers when under gunicorn, else to stderr (once)."""
    if getattr(logger, "_forum_configured", False):
        return
    logger._forum_configured = True
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    if logging.getLogger().handlers:
        return  # the host (a test runner, dictConfig) already decided where records go
    server = logging.getLogger("gunicorn.error")
    handlers = server.handlers or [_stream_handler()]
    for handler in handlers:
        logger.addHandler(handler)
    logger.propagate = False  # no second copy through a root handler added later


def _stream_handler() -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _log_request(response):
    """METHOD PATH STATUS DURATIONms user=ID|- (no query string: search text stays out)."""
    started = g.get("request_started")
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    request_log.info("%s %s %s %.1fms user=%s", request.method, _path(), response.status_code,
                     elapsed, _user_id())
    return response


def _path() -> str:
    """The path, with secret tokens (password reset, unsubscribe) replaced by their rule."""
    rule = request.url_rule
    if rule is not None and "token" in rule.arguments:
        return rule.rule
    return request.path


def _user_id() -> str:
    """The signed-in member's id, or "-".

    Only a user the request already loaded (Flask-Login keeps it in g): loading one here
    would query a database that may be down, and the session's login key is a secret.
    """
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return "-"
    return str(getattr(user, "id", "-"))
