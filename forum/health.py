"""GET /healthz: can this process serve, and how fresh are its search index and mail queue.

For load balancers and monitoring: no login, no rate limit, no cookies, and nothing
but states and counts (no titles, no addresses, no error texts, which could carry the
database URL). 200 while the database answers (degraded search or mail is said in the
body); 503 when it does not, since no page can be served then.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db, limiter
from .mail.smtp import is_configured
from .models import OutboxMessage, SearchDocument, SearchQueue
from .models._base import utcnow

bp = Blueprint("health", __name__)
limiter.exempt(bp)
log = logging.getLogger(__name__)

# A queue change older than this means no worker is indexing (it takes seconds normally).
SEARCH_STALE = timedelta(minutes=5)
# Due e-mail still pending this long after its time means no sender is running.
MAIL_STALE = timedelta(minutes=15)


@bp.get("/healthz")
def healthz():
    """Database, search and mail state as JSON: 200 when the forum can serve, else 503."""
    try:
        db.session.execute(text("SELECT 1"))
        search, mail = search_health(), mail_health()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("Health check: the database does not answer")
        return _reply({"status": "error", "database": "error"}, 503)
    degraded = [search.pop("degraded"), mail.pop("degraded")]
    body = {"status": "degraded" if any(degraded) else "ok", "database": "ok",
            "search": search, "mail": mail}
    return _reply(body, 200)


def _reply(body: dict, code: int):
    response = jsonify(body)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


def search_health() -> dict:
    """This process's search mode, its lag behind the database, and the shared queue."""
    service = current_app.extensions["searching"]
    pending, oldest = db.session.execute(
        select(func.count(SearchQueue.id), func.min(SearchQueue.queued_at))).one()
    age = (utcnow() - oldest).total_seconds() if oldest else None
    if not service.enabled:
        mode = "off"
    elif service.state != "ready":
        mode = "loading"
    else:
        mode = service.search_mode  # "hybrid", or "lexical" when the model is unavailable
    lag = db.session.scalar(select(func.count()).select_from(SearchDocument)
                            .where(SearchDocument.seq > service.applied_seq))
    stale = age is not None and age > SEARCH_STALE.total_seconds()
    return {"mode": mode, "lag": int(lag or 0) if service.enabled else 0,
            "pending": int(pending or 0),
            "oldest_pending_seconds": round(age, 1) if age is not None else None,
            "degraded": service.enabled and (mode != "hybrid" or stale)}


def mail_health() -> dict:
    """Whether mail is configured, and how many e-mails wait or failed for good."""
    rows = db.session.execute(select(OutboxMessage.status, func.count(OutboxMessage.id))
                              .group_by(OutboxMessage.status))
    counts = {status: n for status, n in rows}
    overdue = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at < utcnow() - MAIL_STALE))
    configured = is_configured(current_app.config)
    return {"configured": configured,
            "pending": counts.get("pending", 0) + counts.get("sending", 0),
            "overdue": int(overdue or 0), "failed": counts.get("failed", 0),
            "degraded": configured and bool(overdue)}
