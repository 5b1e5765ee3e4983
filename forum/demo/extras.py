"""Demo state beyond threads: votes, bookmarks, featured practices, pins, flags (issue 5)."""
from typing import Callable


def apply(echo: Callable[[str], None] = print) -> None:
    """Apply the demo's moderation and recognition state (idempotent)."""
    return None
