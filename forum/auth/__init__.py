"""The auth blueprint."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import confirm_views, hooks, views  # noqa: E402,F401
