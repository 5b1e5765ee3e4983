"""Who is asking the API: a personal token (``Authorization: Bearer``) or the cookie session.

A token request carries no cookie a browser could send on its own, so it needs no CSRF
token; a request signed in by cookie that changes something still does (issue 12).
"""
from functools import wraps

from flask import g, jsonify, request
from flask_login import current_user

from ..domain import DomainError
from ..extensions import csrf
from . import bp, tokens


def _unauthorised(message: str):
    response = jsonify(error=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="headstart"'
    return response


@bp.before_request
def _token_user():
    """Sign the request in with its bearer token; a bad token is a 401, never the cookie user."""
    g.api_token = None
    try:
        raw = tokens.bearer(request.headers.get("Authorization"))
        if raw is None:
            return None
        token = tokens.authenticate(raw)
    except DomainError as exc:
        return _unauthorised(exc.message)
    g.api_token = token
    g._login_user = token.user  # Flask-Login's current_user for this request only


def writes(view):
    """For endpoints that change something: a signed-in member; a read-write token or CSRF."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        token = g.get("api_token")
        if token is not None:
            if not token.can_write:
                return jsonify(error="This token may only read; create a read-write token."), 403
        elif not current_user.is_authenticated:
            return _unauthorised("Sign in, or send a personal API token.")
        else:
            csrf.protect()  # a cookie session: the page's token in the X-CSRFToken header
        return view(*args, **kwargs)
    return wrapper


def token_may_write(view):
    """A write that cookie sessions make without CSRF (JSON only): read tokens are refused."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        token = g.get("api_token")
        if token is not None and not token.can_write:
            return jsonify(error="This token may only read; create a read-write token."), 403
        return view(*args, **kwargs)
    return wrapper
