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
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from search.evaluation import Dataset, RunQuery
from search.fusion import weighted_zscore_fusion
from search.lexical import BM25Index
from search.text import join_title_body, strip_markdown

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


def plain_baseline(encode: Callable[[list[str]], np.ndarray], dataset: Dataset) -> RunQuery:
    """The reference baseline: one embedding of title + body per side, ranked by cosine.

    Args:
        encode: ``texts -> (n, dim)`` unit vectors (an ``Embedder.encode``).
        dataset: A split or a variant of one.

    Returns:
        A ``run_query`` for ``search.evaluation.evaluate``.
    """
    threads = encode([join_title_body(t.title, t.body) for t in dataset.threads])
    queries = encode([join_title_body(q.title, q.text) for q in dataset.queries])
    by_qid = {q.qid: v for q, v in zip(dataset.queries, queries)}
    return vector_ranker([t.external_id for t in dataset.threads], threads, lambda q: by_qid[q.qid])


def vector_ranker(ids: list[str], vectors: np.ndarray, query_vector, bm25: BM25Index | None = None,
                  lexical_weight: float = 0.15, depth: int = 100) -> RunQuery:
    """A ``run_query`` over a matrix of thread vectors; hybrid like the engine when given BM25.

    Args:
        ids: External thread ids, one per row of ``vectors``.
        vectors: Unit thread vectors.
        query_vector: ``query -> unit vector``.
        bm25: A BM25 index over row numbers, or None for dense only.
        lexical_weight: The z-score fusion weight of BM25.
        depth: Candidates taken from each retriever under the retrieval protocol.

    Returns:
        A ``run_query`` for ``search.evaluation.evaluate``.
    """
    position = {e: i for i, e in enumerate(ids)}

    def run(query, mode, candidates):
        cosine = vectors @ query_vector(query)
        words = f"{query.title} {query.text}"
        if candidates is not None:
            pool = [position[c] for c in candidates]
        else:
            pool = np.argsort(-cosine)[:depth].tolist()
            if bm25 is not None:
                pool = list(dict.fromkeys(pool + [d for d, _ in bm25.search(words, depth)]))
        dense = {i: float(cosine[i]) for i in pool}
        scores = weighted_zscore_fusion(dense, bm25.score(words, pool), lexical_weight) if bm25 else dense
        return [ids[i] for i, _ in sorted(scores.items(), key=lambda kv: -kv[1])]

    return run
