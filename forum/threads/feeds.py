"""Atom feeds: the latest threads as the requesting user may see them; tag, country and
featured feeds carry public content only (feed readers fetch without a session)."""
from flask import abort, make_response, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..models import Category, Thread
from ..models._base import utcnow
from . import bp
from .filters import SearchFilters
from .services import normalise_tags

FEED_SIZE = 30
PUBLIC = None  # permissions treat None as a guest: public categories, nothing hidden


def atom_response(template: str, **context):
    """An Atom document from a template, with the feed's base URL and a fallback <updated>."""
    body = render_template(template, base=request.url_root.rstrip("/"), now=utcnow(), **context)
    response = make_response(body)
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


def _feed(title: str, stmt, alternate: str, viewer):
    threads = db.session.scalars(stmt.options(
        selectinload(Thread.posts), selectinload(Thread.author), selectinload(Thread.category))
        .order_by(Thread.created_at.desc()).limit(FEED_SIZE)).all()
    return atom_response("threads/feed.xml", title=title, threads=threads, alternate=alternate,
                 viewer=viewer)


@bp.route("/feed.atom")
def feed():
    """The newest threads of every category this user may read."""
    return _feed("Headstart: latest threads", permissions.visible_threads(current_user),
                 url_for("threads.index"), current_user)


@bp.route("/c/<slug>/feed.atom")
def category_feed(slug):
    """The newest threads of one category."""
    category = db.first_or_404(select(Category).where(Category.slug == slug))
    if not permissions.can_view_category(current_user, category):
        abort(404)
    stmt = permissions.visible_threads(current_user).where(Thread.category_id == category.id)
    return _feed(f"Headstart: {category.name}", stmt,
                 url_for("threads.category", slug=category.slug), current_user)


@bp.route("/tags/<tag>/feed.atom")
def tag_feed(tag):
    """The newest public threads with a tag."""
    names = normalise_tags([tag])
    if not names:
        abort(404)
    stmt = SearchFilters(tag=names[0]).apply(permissions.visible_threads(PUBLIC))
    return _feed(f"Headstart: #{names[0]}", stmt, url_for("threads.index", tag=names[0]), PUBLIC)


@bp.route("/countries/<country>/feed.atom")
def country_feed(country):
    """The newest public threads about a country."""
    country = country.strip()[:100]
    stmt = SearchFilters(country=country).apply(permissions.visible_threads(PUBLIC))
    return _feed(f"Headstart: {country}", stmt, url_for("threads.index", country=country),
                 PUBLIC)
