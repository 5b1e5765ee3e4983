"""JSON API: similar threads and search, as the requesting user may see them."""
from flask import Blueprint

from ..extensions import csrf, limiter
from ..web.limits import budget_value

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Read-only endpoints: no state changes, so CSRF tokens are not needed (and a
# JSON client has none); permissions still follow the session's user.
csrf.exempt(bp)
limiter.limit(lambda: budget_value("api"))(bp)  # every endpoint; the model ones also share one

from . import events, views  # noqa: E402,F401
