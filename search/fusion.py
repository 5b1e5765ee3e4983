"""Combine rankings: dense + lexical fusion, and several vectors per thread into one.

Both fusions work on a *candidate pool* whose members all have both scores
(the engine scores every pool member exactly with both retrievers), so no
"missing score" guess is needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

Scores = Mapping[int, float]


def zscore(scores: Scores) -> dict[int, float]:
    """Standardise scores to mean 0, standard deviation 1 (all 0 when constant).

    Args:
        scores: ``{id: raw score}``.

    Returns:
        ``{id: (score - mean) / std}``.
    """
    if not scores:
        return {}
    values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    std = float(values.std())
    mean = float(values.mean())
    if std < 1e-12:
        return {doc: 0.0 for doc in scores}
    return {doc: (s - mean) / std for doc, s in scores.items()}


def weighted_zscore_fusion(dense: Scores, lexical: Scores, lexical_weight: float) -> dict[int, float]:
    """Fuse two score maps: (1 - w) * z(dense) + w * z(lexical), over the union of ids.

    Z-normalisation puts cosine similarities (~0.2-0.9) and BM25 scores
    (unbounded, query-length dependent) on one scale per query, and keeps the
    score margins that rank-only fusion (RRF) throws away.

    Args:
        dense: ``{id: cosine}``; an id missing here (no vector) gets the lowest dense score.
        lexical: ``{id: BM25}``; an id missing here shares no term and scores 0.
        lexical_weight: w in [0, 1].

    Returns:
        ``{id: fused score}``.
    """
    ids = list(dict.fromkeys([*dense, *lexical]))
    floor = min(dense.values(), default=0.0)
    z_dense = zscore({i: dense.get(i, floor) for i in ids})
    z_lex = zscore({i: lexical.get(i, 0.0) for i in ids})
    w = lexical_weight
    return {i: (1.0 - w) * z_dense[i] + w * z_lex[i] for i in ids}


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion (Cormack et al., SIGIR 2009): sum of 1 / (k + rank).

    Args:
        rankings: Lists of ids, best first.
        k: Damping constant (60 in the paper).

    Returns:
        ``{id: fused score}``.
    """
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank)
    return fused


def combine_vectors(vectors: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Merge a thread's field vectors into one unit vector: normalise(sum w_f * v_f).

    One vector per thread keeps one FAISS id per thread; its cosine with a
    query equals the weighted sum of the per-field cosines divided by the
    norm of the sum, which ranked as well as scoring fields separately in the
    ablation (benchmarks/README.md).

    Args:
        vectors: ``{field: unit vector}``; fields without a weight are ignored.
        weights: ``{field: weight}``.

    Returns:
        A float32 unit vector.
    """
    parts = [weights[f] * np.asarray(v, dtype=np.float32) for f, v in vectors.items() if weights.get(f)]
    if not parts:
        raise ValueError("no weighted field vector to combine")
    total = np.sum(parts, axis=0)
    norm = float(np.linalg.norm(total))
    return (total / norm if norm > 0 and math.isfinite(norm) else total).astype(np.float32)


def top_k(scores: Mapping[int, float], k: int) -> list[tuple[int, float]]:
    """Return the ``k`` highest ``(id, score)`` pairs; ties keep the mapping's order.

    The engine builds the mapping in candidate order (the caller's order in
    rerank mode), so equal scores fall back on that prior rather than on ids.
    """
    return sorted(scores.items(), key=lambda item: -item[1])[:k]
