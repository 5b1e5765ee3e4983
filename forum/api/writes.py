"""API endpoints that change something; each needs a read-write token or a cookie + CSRF."""
from flask import jsonify, request
from flask_login import current_user

from ..domain import DomainError, NotAllowed
from ..threads import services as thread_services
from ..web.access import thread_or_404
from ..web.limits import shared_budget
from . import bp, params
from .auth import writes
from .params import BadRequest


@bp.route("/threads/<int:thread_id>/replies", methods=["POST"])
@shared_budget("reply", methods=("POST",))  # the same budget as the reply box
@writes
def reply(thread_id):
    """Reply to a thread the requesting member may read: JSON ``body`` (Markdown)."""
    from ..threads.views import thread_url

    thread = thread_or_404(thread_id)
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise BadRequest("Send a JSON object (Content-Type: application/json).")
    body = params.text(data, "body", params.BODY_MAX)
    try:
        post = thread_services.reply(current_user, thread, body)
    except NotAllowed as exc:
        return jsonify(error=exc.message), 403
    except DomainError as exc:
        raise BadRequest(exc.message) from exc
    return jsonify(id=post.id, thread_id=thread.id,
                   url=thread_url(thread, _anchor=f"post-{post.id}")), 201

