"""Atom feeds of the latest threads, as the requesting user may see them."""
from flask import abort, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..models import Category, Thread
from . import bp

FEED_SIZE = 30


def _feed(title: str, stmt, category=None):
    threads = db.session.scalars(stmt.options(
        selectinload(Thread.posts), selectinload(Thread.author), selectinload(Thread.category))
        .order_by(Thread.created_at.desc()).limit(FEED_SIZE)).all()
    body = render_template("threads/feed.xml", title=title, threads=threads, category=category,
                           base=request.url_root.rstrip("/"))
    response = make_response(body)
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


@bp.route("/feed.atom")
def feed():
    """The newest threads of every category this user may read."""
    return _feed("Headstart: latest threads", permissions.visible_threads(current_user))


@bp.route("/c/<slug>/feed.atom")
def category_feed(slug):
    """The newest threads of one category."""
    category = db.first_or_404(select(Category).where(Category.slug == slug))
    if not permissions.can_view_category(current_user, category):
        abort(404)
    stmt = permissions.visible_threads(current_user).where(Thread.category_id == category.id)
    return _feed(f"Headstart: {category.name}", stmt, category)
