"""Threads: listings, thread pages, composing, replying, editing."""
from flask import Blueprint

bp = Blueprint("threads", __name__)

from . import feeds, views  # noqa: E402,F401
