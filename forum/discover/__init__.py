"""The discover blueprint."""
from flask import Blueprint

bp = Blueprint("discover", __name__)

from . import views  # noqa: E402,F401
