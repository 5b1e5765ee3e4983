"""The users blueprint."""
from flask import Blueprint

bp = Blueprint("users", __name__)

from . import account_views, views  # noqa: E402,F401
