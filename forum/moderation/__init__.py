"""Moderation: the flag review queue, thread and post tools, the audit log."""
from flask import Blueprint

bp = Blueprint("moderation", __name__)

from . import suggestion_views, thread_views, views  # noqa: E402,F401
