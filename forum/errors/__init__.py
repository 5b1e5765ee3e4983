"""The errors blueprint."""
from flask import Blueprint

bp = Blueprint("errors", __name__)

from . import views  # noqa: E402,F401
