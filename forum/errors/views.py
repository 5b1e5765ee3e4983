"""Error pages in the site layout, JSON under /api/."""
from flask import current_app, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, InternalServerError

from .. import permissions
from ..domain import NotAllowed
from ..extensions import db
from ..models import Category
from . import bp

# Plain words for each status; the exception's own description is a fallback.
MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to see this page.",
    404: "There is nothing here. The page may have moved, or you may not have access to it.",
    405: "That action is not possible on this address.",
    413: "What you sent is too large. Shorten the text or attach less, then try again.",
    429: "Too many attempts in a short time. Please wait a minute and try again.",
    500: "Something went wrong on our side. The error has been logged; please try again later.",
}
CSRF_MESSAGE = ("The form expired or was sent from elsewhere, so it was not saved. "
                "Your text is below: copy it, go back, reload the form and send it again.")
# Never echo secrets back into a page, even the sender's own.
_SECRET_FIELDS = ("csrf_token", "password", "confirm")


def wants_json() -> bool:
    """True for API requests, which get a JSON body instead of a page."""
    return request.path.startswith("/api/")


def _respond(code: int, message: str, headers=(), **context):
    if wants_json():
        return jsonify(error=message), code, list(headers)
    page = render_template("errors/error.html", code=code, message=message, **context)
    return page, code, list(headers)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Any HTTP error as a page in the layout (or JSON under /api/)."""
    code = error.code or 500
    # Keep headers such as Allow (405) and Retry-After; the body's type is ours to set.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    # A form stopped by a rate limit was not saved: give its text back (issue 12).
    resubmit = _submitted_text() if code == 429 and request.method == "POST" else None
    return _respond(code, _message(error), headers, title=error.name, resubmit=resubmit)


def _message(error: HTTPException) -> str:
    """A view's own words (abort(400, "...")) win over ours, except for 429 and 5xx."""
    custom = error.description and error.description != type(error).description
    if custom and error.code not in (429,) and (error.code or 500) < 500:
        return error.description
    return MESSAGES.get(error.code, error.description or "Error")


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    """A form without a valid token: say so plainly and give the text back."""
    if wants_json():
        return jsonify(error=f"CSRF check failed: {error.description}"), 400
    return _respond(400, CSRF_MESSAGE, title="Form not sent", resubmit=_submitted_text())


def _submitted_text() -> list[tuple[str, str]]:
    """The non-secret text fields of the rejected form, so nothing typed is lost."""
    origin = request.headers.get("Origin")
    if origin and origin != request.host_url.rstrip("/"):
        # Security: a cross-site form must not get to put its words on our page.
        return []
    fields = []
    for name, value in request.form.items(multi=True):
        if value.strip() and not any(s in name.lower() for s in _SECRET_FIELDS):
            fields.append((name, value))
    return fields[:20]


@bp.app_errorhandler(NotAllowed)
def not_allowed(error: NotAllowed):
    """A NotAllowed a view did not catch is a 403, not a crash."""
    return _respond(403, error.message, title="Forbidden")


@bp.app_errorhandler(InternalServerError)
def server_error(error):
    """The 500 page must render even when the database is what broke."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - a dead connection must not hide the page
        current_app.logger.exception("rollback failed while handling a 500")
    if wants_json():
        return jsonify(error=MESSAGES[500]), 500
    try:
        return render_template("errors/error.html", code=500, message=MESSAGES[500],
                               title="Server error", nav_categories=_safe_nav_categories), 500
    except Exception:  # noqa: BLE001 - e.g. loading current_user needs the database
        current_app.logger.exception("full 500 page failed; sending the minimal one")
        # Straight from the Jinja environment: render_template would run the context
        # processors again, and Flask-Login's one loads the user from the database.
        page = current_app.jinja_env.get_template("errors/500_minimal.html")
        return page.render(message=MESSAGES[500]), 500


def _safe_nav_categories():
    """The sidebar's categories, or none when the database cannot answer."""
    try:
        return db.session.scalars(
            select(Category).where(permissions.category_clause(current_user))
            .order_by(Category.position, Category.name)).all()
    except Exception:  # noqa: BLE001
        db.session.rollback()
        return []
