"""JSON API: similar threads and search, as the requesting user may see them."""
from flask import Blueprint

from ..extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Exempt from the blanket check: the read endpoints change nothing, and endpoints that
# write check CSRF themselves for cookie sessions only (auth.writes); a bearer token
# is no ambient credential. Permissions follow the token's or the session's user.
csrf.exempt(bp)
limiter.limit("240 per minute")(bp)

from . import auth, events, views, writes  # noqa: E402,F401
