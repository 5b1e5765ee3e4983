"""Discover: the search page, and similar threads where people write and read."""
from flask import Blueprint

bp = Blueprint("discover", __name__)

from . import suggestions, views  # noqa: E402,F401
