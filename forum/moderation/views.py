"""Views of this blueprint (stub until issue 5)."""
from . import bp


@bp.route("/moderation")
def queue():
    """Review queue (stub)."""
    return "moderation coming"
