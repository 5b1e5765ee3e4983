"""Views of this blueprint (stub until issue 4)."""
from . import bp


@bp.route("/search")
def search():
    """Search page (stub)."""
    return "search coming"
