"""Accepted answers, helpful votes and bookmarks."""
from flask import Blueprint

bp = Blueprint("answers", __name__)

from . import views  # noqa: E402,F401
