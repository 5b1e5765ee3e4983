"""API views: parse, call the search seam, serialise."""
import time

from flask import jsonify, request
from flask_login import current_user

from .. import searching
from ..learning.evidence import Evidence, thread_evidence
from ..markup import neutralise_bidi, snippet
from ..suggestions import log as suggestion_log
from ..web.limits import shared_budget
from . import bp, params
from .params import BadRequest


def _payload() -> dict:
    """GET arguments, or the JSON object of a POST."""
    if request.method == "GET":
        return request.args.to_dict()
    # Unparsable or too deeply nested JSON is a 400 with its reason (forum/web/input.py).
    data = request.get_json() if request.is_json else None
    if not isinstance(data, dict):
        raise BadRequest("Send a JSON object (Content-Type: application/json).")
    return data


def hit_json(hit, evidence=None) -> dict:
    """One result in the API's shape, with its outcome and adaptation evidence (issue 10).

    ``hit.thread`` is a Thread or a ``searching`` result row (the same attribute names)."""
    from ..threads.views import thread_url

    t = hit.thread
    return {  # text a client will show loses direction overrides, as on our pages (issue 12)
        "id": t.id, "title": neutralise_bidi(t.title), "url": thread_url(t), "score": hit.score,
        "closeness": searching.closeness_label(hit.score), "category": t.category.name,
        "category_slug": t.category.slug, "kind": t.kind, "status": t.status,
        "country": t.country, "featured": bool(t.featured), "external_id": t.external_id,
        "snippet": neutralise_bidi(snippet(t.opening.body if t.opening else "", 220)),
        "replies": t.reply_count, "created_at": t.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **(evidence or Evidence()).as_json(),
    }


def results_json(hits) -> list[dict]:
    """The hits in the API's shape; evidence in two queries, as the requesting user may see it."""
    found = thread_evidence(current_user, [h.thread.id for h in hits])
    return [hit_json(h, found.get(h.thread.id)) for h in hits]


@bp.errorhandler(BadRequest)
def _bad_request(exc):
    return jsonify(error=str(exc)), 400


@bp.route("/similar", methods=["GET", "POST"])
@shared_budget("model_api")  # both endpoints run the model: one budget between them
def similar():
    """Threads similar to a draft (title and/or body)."""
    started = time.perf_counter()
    data = _payload()
    title = params.text(data, "title", params.TITLE_MAX)
    body = params.text(data, "body", params.BODY_MAX)
    if not title.strip() and not body.strip():
        raise BadRequest("Give a 'title' or a 'body' (both may not be empty).")
    limit = params.integer(data, "limit", 5, 1, 100)
    category = params.category(data, current_user)
    exclude = params.integer(data, "exclude", 0, 0)
    hits = searching.similar_threads(current_user, title, body, limit=limit,
                                     category_id=category.id if category else None,
                                     exclude_ids=(exclude,) if exclude else (), light=True)
    session = params.text(data, "session", 64)
    response = jsonify(results=results_json(hits), mode=searching.search_mode(),
                       took_ms=round((time.perf_counter() - started) * 1000, 1))
    # Only the composer's JSON POST records: a cross-site link (a GET, which SameSite=Lax
    # lets through with the session cookie) must not write statistics in a member's name.
    if request.method == "POST":
        suggestion_log.record_shown_after(response, current_user, session, title, body,
                                          [h.thread.id for h in hits])
    return response


@bp.route("/search")
@shared_budget("model_api")
def search():
    """Hybrid meaning + keyword search with filters and pagination."""
    started = time.perf_counter()
    data = request.args.to_dict()
    q = params.text(data, "q", params.QUERY_MAX)
    limit = params.integer(data, "limit", 20, 1, 100)
    page = params.integer(data, "page", 1, 1, 10_000)
    sort = params.choice(data, "sort", ("relevance", "newest")) or "relevance"
    filters = params.search_filters(data, current_user)
    result = searching.search_threads(current_user, q, filters, page, limit, sort, light=True)
    return jsonify(results=results_json(result.hits), total=result.total, page=page,
                   limit=limit, mode=result.mode,
                   took_ms=round((time.perf_counter() - started) * 1000, 1))

