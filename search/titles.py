"""How much to trust a title: none when it repeats the body, less the less it says about it.

Measured on SemEval-2016 Task 3 with variants of the data that imitate real forums
(``benchmarks/eval_variants.py``): a title vector weighted on both sides lifts
ranking when titles are written by people, and drags it below plain embeddings
when the "title" is the body's opening words (an archive without subjects) or a
generic subject ("Help!!"). Two checks, both free at query time:

* **Opening words**: a title that is the start of the body adds nothing; it is
  left out of the text and gets no vector (``search.text`` applies this).
* **Agreement with the text**: the cosine between the title's vector and the
  vector of title + body. Real titles score 0.45-0.95 (5th-95th percentile, both
  splits); generic subjects -0.05-0.23. The weight ramps from 0 to 1 between
  ``LOW`` and ``HIGH``, chosen from those two distributions, not tuned on ranking.
"""

from __future__ import annotations

import re

import numpy as np

# Changing these changes every stored thread vector: bump search.text.RECIPE_VERSION.
LOW = 0.2
HIGH = 0.45
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    """Lower-cased word tokens (punctuation and case do not make a title different)."""
    return _WORD.findall((text or "").casefold())


def is_opening(title: str, body: str) -> bool:
    """Whether the title is the body's opening words (as an archive import makes it).

    Args:
        title: The title as stored.
        body: The body as plain text (Markdown already stripped).

    Returns:
        True when every word of a non-empty title starts the body, in order.
    """
    head = _words(title)
    return bool(head) and _words(body)[: len(head)] == head


def trust(title_vector: np.ndarray, text_vector: np.ndarray) -> float:
    """The weight share a title earns from its agreement with its whole text.

    Args:
        title_vector: Unit vector of the title alone.
        text_vector: Unit vector of title + body (the main text).

    Returns:
        A factor in [0, 1]: 0 for a title unrelated to its text, 1 for a telling one.
    """
    cosine = float(np.dot(np.asarray(title_vector, np.float32), np.asarray(text_vector, np.float32)))
    return float(np.clip((cosine - LOW) / (HIGH - LOW), 0.0, 1.0))


def weights_for(vectors: dict[str, np.ndarray], weights: dict[str, float]) -> dict[str, float]:
    """Field weights with the title's scaled by its trust (needs "title" and "main").

    Args:
        vectors: ``{field: unit vector}`` of one thread or query.
        weights: The configured weights.

    Returns:
        A copy of ``weights``, the title weight multiplied by ``trust``.
    """
    out = dict(weights)
    if "title" in vectors and "main" in vectors and out.get("title"):
        out["title"] = out["title"] * trust(vectors["title"], vectors["main"])
    return out
