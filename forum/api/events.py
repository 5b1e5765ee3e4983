"""POST /api/v1/suggestions/events: the composer reports a suggestion opened or "none of these"."""
from flask import request
from flask_login import current_user

from ..domain import DomainError
from ..suggestions import log as suggestion_log
from . import bp, params
from .auth import token_may_write
from .params import BadRequest


@bp.route("/suggestions/events", methods=["POST"])
@token_may_write
def suggestion_event():
    """Record one composer event; 204 whether or not it was recorded (opt-outs stay private)."""
    # The blueprint is CSRF-exempt; this endpoint writes, so it takes JSON only: a
    # cross-site form cannot send application/json without a CORS preflight, which
    # we never grant, and SameSite=Lax keeps the session cookie off cross-site POSTs.
    data = request.get_json() if request.is_json else None  # bad JSON: a 400 with its reason
    if not isinstance(data, dict):
        raise BadRequest("Send a JSON object (Content-Type: application/json).")
    event = params.text(data, "event", 16)
    opened = event == "opened"
    thread_id = params.integer(data, "thread_id", 0, 1) if opened else None
    rank = params.integer(data, "rank", 0, 1, 100) if opened else None
    try:
        suggestion_log.record_client_event(current_user, params.text(data, "session", 64),
                                           event, thread_id, rank)
    except DomainError as exc:
        raise BadRequest(exc.message) from exc
    return "", 204
