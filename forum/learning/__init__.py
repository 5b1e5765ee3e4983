"""Learning what works (issue 10): experiences with outcomes, adaptations, follow-ups and
consolidated replies."""
from flask import Blueprint

# cli_group=None: `flask followups send` sits beside `flask search …`, not under "learning".
bp = Blueprint("learning", __name__, cli_group=None)

from . import cli, consolidated_views, views  # noqa: E402,F401
