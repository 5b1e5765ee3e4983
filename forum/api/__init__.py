"""JSON API: similar threads and search, as the requesting user may see them."""
from flask import Blueprint

from ..extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Read-only endpoints: no state changes, so CSRF tokens are not needed (and a
# JSON client has none); permissions still follow the session's user.
csrf.exempt(bp)
limiter.limit("240 per minute")(bp)

from . import events, views  # noqa: E402,F401
