"""Variants of an evaluation split that imitate forums with poor titles (in memory, never saved).

* ``original``: the split as published.
* ``bodies-only``: titles removed; the first words of the body stand in for the title, as an
  import of a mailing-list archive without subjects does (queries and threads alike).
* ``titles-only``: bodies removed; only the title is left of each question.
* ``generic-titles``: every title replaced by a short generic subject ("Help!!", "Question").

Replies and categories are kept in every variant: an archive still has its answers.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from search.evaluation import Dataset
from search.text import strip_markdown

VARIANTS = ("original", "bodies-only", "titles-only", "generic-titles")
TITLE_WORDS = 8  # an archive importer's stand-in subject: the body's opening words
GENERIC_TITLES = (
    "Help!!",
    "Question",
    "Need advice",
    "Please help",
    "Urgent",
    "Hi all",
    "Query",
    "Help needed",
    "Any idea?",
    "Advice please",
    "Hello everyone",
    "Quick question",
)


def opening_words(body: str, n: int = TITLE_WORDS) -> str:
    """The first ``n`` words of a body (Markdown stripped), as an importer's stand-in title."""
    return " ".join(strip_markdown(body).split()[:n])


def generic_title(key: str) -> str:
    """A generic subject picked by a hash of ``key`` (the same on every run)."""
    return GENERIC_TITLES[hashlib.sha256(key.encode()).digest()[0] % len(GENERIC_TITLES)]


def _retitle(title: str, body: str, key: str, variant: str) -> tuple[str, str]:
    """(title, body) of one question under ``variant``."""
    if variant == "bodies-only":
        return opening_words(body), body
    if variant == "titles-only":
        return title, ""
    if variant == "generic-titles":
        return generic_title(key), body
    return title, body


def make_variant(dataset: Dataset, variant: str) -> Dataset:
    """Return ``dataset`` with every query and thread rewritten as ``variant`` says.

    Args:
        dataset: A loaded split.
        variant: One of ``VARIANTS``.

    Returns:
        A new Dataset (same ids, qrels and candidates).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    queries = []
    for q in dataset.queries:
        title, text = _retitle(q.title, q.text, q.qid, variant)
        queries.append(replace(q, title=title, text=text))
    threads = []
    for t in dataset.threads:
        title, body = _retitle(t.title, t.body, t.external_id, variant)
        threads.append(replace(t, title=title, body=body))
    return replace(dataset, queries=tuple(queries), threads=tuple(threads))
