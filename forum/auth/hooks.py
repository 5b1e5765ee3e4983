"""Request hooks of the login sessions: note when a session was last used."""
from flask import request
from flask_login import current_user

from .. import login_sessions as sessions
from . import bp


@bp.before_app_request
def _touch_login_session():
    """Load the user before the view runs, so the last-seen write never meets view work."""
    if request.endpoint == "static" or request.path.startswith("/api/"):
        return
    if current_user.is_authenticated and current_user.session_key:
        sessions.touch(current_user.session_key, current_user.login_session)
