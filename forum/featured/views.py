"""Views of this blueprint (stub until issue 5)."""
from . import bp


@bp.route("/featured")
def index():
    """Featured practices (stub)."""
    return "featured coming"
