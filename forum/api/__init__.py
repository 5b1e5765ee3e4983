"""JSON API: similar threads and search, as the requesting user may see them."""
from flask import Blueprint

from ..extensions import csrf, limiter
from ..web.limits import budget_value

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Exempt from the blanket check: the read endpoints change nothing, and endpoints that
# write check CSRF themselves for cookie sessions only (auth.writes); a bearer token
# is no ambient credential. Permissions follow the token's or the session's user.
csrf.exempt(bp)
limiter.limit(lambda: budget_value("api"))(bp)  # every endpoint; the model ones also share one

from . import auth, events, views, writes  # noqa: E402,F401
