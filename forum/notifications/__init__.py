"""Notifications: the inbox, watches, settings, @mention lookup and unsubscribing."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)

from . import services, views  # noqa: E402,F401  (services receives forum.events)
