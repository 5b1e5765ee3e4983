"""The moderation blueprint."""
from flask import Blueprint

bp = Blueprint("moderation", __name__)

from . import views  # noqa: E402,F401
