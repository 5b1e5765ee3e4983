"""Ranking metrics for one query; averaging over queries is the caller's job.

Conventions follow the SemEval-2016 Task 3 scorer and BEIR/trec_eval:
``ranking`` is a list of document ids, best first; ``qrels`` maps a judged
document id to its graded relevance (0 = irrelevant); relevant means grade > 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def _relevant(qrels: Mapping[str, int]) -> set[str]:
    """Ids with a positive grade."""
    return {doc for doc, grade in qrels.items() if grade > 0}


def average_precision(
    ranking: Sequence[str], qrels: Mapping[str, int], k: int | None = None, n_relevant: int | None = None
) -> float:
    """Average precision of a ranking, optionally cut at ``k``.

    Args:
        ranking: Document ids, best first.
        qrels: Graded judgements; relevant means grade > 0.
        k: Cut-off (None = whole ranking).
        n_relevant: Denominator; defaults to the number of relevant documents
            in ``qrels``. The SemEval rerank protocol passes the number of
            relevant documents among the query's candidates.

    Returns:
        AP in [0, 1]; 0 when there is no relevant document.
    """
    relevant = _relevant(qrels)
    total = len(relevant) if n_relevant is None else n_relevant
    if total == 0:
        return 0.0
    hits, precision_sum = 0, 0.0
    for rank, doc in enumerate(ranking[:k], start=1):
        if doc in relevant:
            hits += 1
            precision_sum += hits / rank
    return precision_sum / total


def reciprocal_rank(ranking: Sequence[str], qrels: Mapping[str, int], k: int | None = None) -> float:
    """Return 1/rank of the first relevant document within ``k`` (0 if none)."""
    relevant = _relevant(qrels)
    for rank, doc in enumerate(ranking[:k], start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def ndcg(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain at ``k`` with graded gains.

    Args:
        ranking: Document ids, best first.
        qrels: Graded judgements; a grade g gains 2**g - 1 (Burges et al. 2005),
            which reproduces the dataset README's reference figures.
        k: Cut-off.

    Returns:
        nDCG@k in [0, 1]; 0 when no document has a positive grade.
    """
    gains = [2.0 ** max(qrels.get(doc, 0), 0) - 1.0 for doc in ranking[:k]]
    ideal = sorted((2.0**g - 1.0 for g in qrels.values() if g > 0), reverse=True)[:k]
    ideal_dcg = _dcg(ideal)
    return _dcg(gains) / ideal_dcg if ideal_dcg > 0 else 0.0


def _dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain with the log2(rank + 1) discount."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1))


def recall(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """Fraction of the relevant documents found in the top ``k`` (0 if none exist)."""
    relevant = _relevant(qrels)
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def precision_at_1(ranking: Sequence[str], qrels: Mapping[str, int]) -> float:
    """Return 1.0 when the first document is relevant, else 0.0."""
    return 1.0 if ranking and ranking[0] in _relevant(qrels) else 0.0


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean, 0.0 for an empty sequence."""
    return sum(values) / len(values) if values else 0.0
