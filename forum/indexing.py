"""The one seam between forum and search: keeps the index in step with the database.

Public interface used by the rest of the forum (the engine work fills it in):
- similar_threads(user, title, body, limit=5, exclude_ids=(), category_id=None)
    -> list[SimilarHit]: threads this user may see, closest first.
"""
from dataclasses import dataclass


@dataclass
class SimilarHit:
    """A thread found close to a text, with a score in [0, 1]."""

    thread: object
    score: float


def similar_threads(user, title: str, body: str, limit: int = 5, exclude_ids=(),
                    category_id=None) -> list[SimilarHit]:
    """Threads close to the text that this user may see (placeholder: none yet)."""
    return []


def init_app(app) -> None:
    """Wire the search index to the app."""
    return None
