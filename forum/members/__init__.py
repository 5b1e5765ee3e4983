"""Who knows what: the member directory, country pages and each member's learning record."""
from flask import Blueprint

bp = Blueprint("members", __name__)

from . import views  # noqa: E402,F401
