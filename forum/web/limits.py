"""Rate limits: a default budget for every POST, and named budgets for what writes or runs the
embedding model (issue 12).

Budgets are counted per member when logged in (a country office shares one address) and
per address otherwise, in the store RATELIMIT_STORAGE_URI names (Redis with several
workers). ``RATE_LIMITS`` in the config overrides any budget by name. Going over answers
429 with Retry-After and the site's error page (JSON under /api/).
"""
from flask import current_app

from ..extensions import limiter, member_or_address

BUDGETS = {
    "any_post": "60 per minute; 600 per hour",  # every POST without a budget of its own
    "thread": "5 per minute; 30 per hour",  # opening a thread
    "reply": "10 per minute; 120 per hour",
    "check": "20 per minute; 200 per hour",  # the composer's "check" step runs the model
    "thread_page": "60 per minute",  # anonymous readers: related threads run the model
    "model_api": "120 per minute",  # /api/v1/similar and /api/v1/search together
    "api": "240 per minute",  # each API endpoint (suggestion events too)
    "search_page": "120 per minute",  # /search runs the model too
    "flag": "10 per minute; 50 per day",
    "vote": "60 per minute",
    "bookmark": "60 per minute",
    "profile": "10 per minute; 60 per hour",
    "register": "10 per minute; 60 per hour",
    "password_reset": "5 per minute; 20 per hour",  # each request may send an e-mail
}


def budget_value(name: str) -> str:
    """The limit string of a budget: RATE_LIMITS[name] when configured, else the default."""
    return (current_app.config.get("RATE_LIMITS") or {}).get(name, BUDGETS[name])


def budget(name: str, methods=("POST",), exempt_when=None):
    """Decorator: this view spends the named budget (POSTs unless ``methods`` says otherwise)."""
    return limiter.limit(lambda: budget_value(name), key_func=member_or_address,
                         methods=list(methods), exempt_when=exempt_when, scope=name)


def shared_budget(name: str, methods=("GET", "POST")):
    """Decorator: every view carrying it spends one budget together (the model API)."""
    return limiter.shared_limit(lambda: budget_value(name), scope=name,
                                key_func=member_or_address, methods=list(methods))
