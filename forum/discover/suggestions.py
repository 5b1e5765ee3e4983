"""Similar threads on the thread page: related threads, and "others asked this before".

Registered as template globals so the thread page's partials can ask for them
without the threads blueprint knowing about search. Both are cheap (one engine
query per page, memoised for the request) and never break the page: a search
failure is logged and shows nothing.
"""
import logging

from flask import g, request
from flask_login import current_user

from .. import searching
from . import bp

log = logging.getLogger(__name__)

RELATED_LIMIT = 5


def safe_similar(user, title: str, body: str = "", limit: int = RELATED_LIMIT,
                 exclude_ids=()) -> list:
    """searching.similar_threads, or [] (logged) when search fails."""
    try:
        return searching.similar_threads(user, title, body, limit=limit, exclude_ids=exclude_ids)
    except Exception:  # noqa: BLE001 - suggestions are a nicety; the page must render
        log.exception("Similar-thread lookup failed")
        return []


@bp.app_template_global()
def related_threads(thread, limit: int = RELATED_LIMIT) -> list:
    """Threads close to this one that the current user may see (never the thread itself).

    Ranked from the thread's stored vector (issue 9: a view never runs the model), then
    filtered per user in searching, so nothing restricted can appear here.
    """
    memo = g.setdefault("related_threads", {})
    key = (thread.id, limit)
    if key not in memo:
        try:
            memo[key] = searching.related_threads(current_user, thread.id,
                                                  lambda: _words(thread), limit)
        except Exception:  # noqa: BLE001 - related threads are a nicety; the page must render
            log.exception("Related-thread lookup failed")
            memo[key] = []
    return memo[key]


def _words(thread) -> str:
    """The thread's title and, when every reader may read it, its opening post."""
    opening = thread.opening_post
    visible = opening is not None and opening.deleted_at is None and not opening.is_hidden
    return f"{thread.title} {opening.body if visible else ''}"


@bp.app_template_global()
def just_posted_by_viewer(thread) -> bool:
    """True on the first view of a thread its author has just posted (?new=1)."""
    return bool(request.args.get("new") and current_user.is_authenticated
                and thread.author_id == current_user.id)


@bp.app_template_global()
def draft_key() -> str:
    """The browser-storage key of the current user's composer draft."""
    user_id = current_user.id if current_user.is_authenticated else "guest"
    return f"headstart.draft.{user_id}"


@bp.app_template_filter("closeness")
def closeness(score: float) -> str:
    """Plain words for how close a suggestion is."""
    return searching.closeness_label(score)


@bp.app_template_global()
def keyword_only() -> bool:
    """True while suggestions match by keywords only (model loading or unavailable)."""
    return searching.search_mode() == "lexical"


@bp.app_template_global()
def search_notice() -> str:
    """'' or why matching is by keywords only: 'loading', 'rebuilding', 'unavailable' or 'off'."""
    return searching.search_notice()
