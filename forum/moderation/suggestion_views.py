"""/moderation/suggestions: how similar-thread suggestions fare (issue 13)."""
from flask import render_template
from flask_login import current_user, login_required

from ..suggestions.report import build_report
from ..threads.views import thread_url
from ..web.access import moderators_only
from . import bp


@bp.route("/moderation/suggestions")
@login_required
def suggestions():
    """Click-through by rank, duplicates, and suggestions nobody opens."""
    moderators_only()
    return render_template("moderation/suggestions.html", report=build_report(current_user),
                           thread_url=thread_url)
