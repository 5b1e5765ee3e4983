"""The featured blueprint."""
from flask import Blueprint

bp = Blueprint("featured", __name__)

from . import views  # noqa: E402,F401
