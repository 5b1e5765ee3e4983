"""API views: parse, call the finder, serialise."""
import time

from flask import jsonify, request
from flask_login import current_user

from .. import indexing
from ..finder import closeness_label
from ..learning.evidence import Evidence, thread_evidence
from ..markup import snippet
from . import bp, params
from .params import BadRequest


def _payload() -> dict:
    """GET arguments, or the JSON object of a POST."""
    if request.method == "GET":
        return request.args.to_dict()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("Send a JSON object (Content-Type: application/json).")
    return data


def hit_json(hit, evidence=None) -> dict:
    """One result in the API's shape, with its outcome and adaptation evidence (issue 10)."""
    from ..threads.views import thread_url

    t = hit.thread
    return {
        "id": t.id, "title": t.title, "url": thread_url(t), "score": hit.score,
        "closeness": closeness_label(hit.score), "category": t.category.name,
        "category_slug": t.category.slug, "kind": t.kind, "status": t.status,
        "country": t.country, "featured": bool(t.featured), "external_id": t.external_id,
        "snippet": snippet(t.opening_post.body if t.opening_post else "", 220),
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
def similar():
    """Threads similar to a draft (title and/or body)."""
    started = time.perf_counter()
    data = _payload()
    title = params.text(data, "title", params.TITLE_MAX)
    body = params.text(data, "body", params.BODY_MAX)
    if not title.strip() and not body.strip():
        raise BadRequest("Give a 'title' or a 'body' (both may not be empty).")
    limit = params.integer(data, "limit", 5, 1, 100)
    category = params.category(data)
    exclude = params.integer(data, "exclude", 0, 0, None)
    hits = indexing.similar_threads(current_user, title, body, limit=limit,
                                    category_id=category.id if category else None,
                                    exclude_ids=(exclude,) if exclude else ())
    return jsonify(results=results_json(hits), mode=_mode(),
                   took_ms=round((time.perf_counter() - started) * 1000, 1))


@bp.route("/search")
def search():
    """Hybrid meaning + keyword search with filters and pagination."""
    started = time.perf_counter()
    data = request.args.to_dict()
    q = params.text(data, "q", params.QUERY_MAX)
    limit = params.integer(data, "limit", 20, 1, 100)
    page = params.integer(data, "page", 1, 1, 10_000)
    sort = params.choice(data, "sort", ("relevance", "newest")) or "relevance"
    filters = params.search_filters(data)
    result = indexing.search_threads(current_user, q, filters, page, limit, sort)
    return jsonify(results=results_json(result.hits), total=result.total, page=page,
                   limit=limit, mode=_mode(),
                   took_ms=round((time.perf_counter() - started) * 1000, 1))


def _mode() -> str:
    service = indexing.get_service()
    engine = service.engine
    return "lexical" if engine is None or engine.lexical_only else "hybrid"
