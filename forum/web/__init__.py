"""What every blueprint shares: template helpers, page headers, and (in submodules) static
files under content-addressed URLs (assets), the one access-checking loader and staff guard (access), the one form helper (forms), the one
page-number parser (paging), the bounds on all input (input) and the rate-limit budgets
(limits)."""
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from flask import current_app, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from .. import markup, permissions
from ..extensions import db
from . import assets, cache
from ..models import Category, Group
from ..models._base import utcnow

# A strict policy is possible because no page has inline script or style but the import
# map, allowed by its hash (forum/web/assets.py). Images from other servers are only let
# through when REMOTE_IMAGES allows them (issue 12).
CSP = (
    "default-src 'self'; script-src 'self'{scripts}; style-src 'self'; "
    "img-src 'self' data:{remote}; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def init_app(app) -> None:
    """Register filters, globals and headers."""
    app.jinja_env.filters["markdown"] = lambda text: markup.render(
        text, remote_images=bool(app.config.get("REMOTE_IMAGES")))
    # Every {{ value }} of every page, feed and e-mail loses direction overrides: a title
    # cannot reverse the text around it (issue 12). The database keeps what was typed.
    app.jinja_env.finalize = _neutralise
    app.jinja_env.filters["snippet"] = markup.snippet
    app.jinja_env.filters["timeago"] = timeago
    app.jinja_env.filters["isodate"] = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ") if d else ""
    app.jinja_env.globals["permissions"] = permissions
    cache.init_app(app)
    assets.init_app(app)
    app.context_processor(_nav_categories)
    app.after_request(_security_headers)


def timeago(when: datetime) -> str:
    """'3 days ago' style wording for a naive UTC datetime."""
    if when is None:
        return ""
    seconds = int((utcnow() - when).total_seconds())
    for unit, size in (("year", 31536000), ("month", 2592000), ("day", 86400),
                       ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    return "just now"


def _nav_categories():
    """The categories the current user may read, for navigation (kept per visibility)."""
    def categories():
        return cache.remember("nav_categories", current_user, _readable_categories)
    return {"nav_categories": categories}


def _neutralise(value):
    """A template value without bidirectional overrides (Markup stays Markup)."""
    if isinstance(value, str) and markup.has_bidi_controls(value):
        cleaned = markup.neutralise_bidi(value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def _readable_categories() -> list:
    """Plain copies, safe to share between requests (no session attached), in one query."""
    rows = db.session.execute(
        select(Category.id, Category.slug, Category.name, Category.visibility, Group.name)
        .outerjoin(Group, Group.id == Category.group_id)
        .where(permissions.category_clause(current_user))
        .order_by(Category.position, Category.name))
    return [NavCategory(*row) for row in rows]


@dataclass(frozen=True)
class NavCategory:
    """What navigation shows of a category (the same words as Category.visibility_label)."""

    id: int
    slug: str
    name: str
    visibility: str
    group_name: Optional[str]

    @property
    def visibility_label(self) -> str:
        """Human words for the visibility."""
        if self.visibility == "group" and self.group_name is not None:
            return f"group: {self.group_name}"
        return self.visibility


def _security_headers(response):
    remote = " https:" if current_app.config.get("REMOTE_IMAGES") else ""
    scripts = f" {assets.import_map_hash()}" if response.mimetype == "text/html" else ""
    response.headers.setdefault("Content-Security-Policy",
                                CSP.format(remote=remote, scripts=scripts))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
