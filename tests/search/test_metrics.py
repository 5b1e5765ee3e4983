"""Ranking metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from search import metrics
from search.evaluation import rerank_metrics, retrieval_metrics

QRELS = {"a": 2, "b": 0, "c": 1, "d": 1}  # relevant: a, c, d


def test_average_precision():
    # relevant at ranks 1, 3 -> (1/1 + 2/3) / 3 relevant
    assert metrics.average_precision(["a", "b", "c"], QRELS) == pytest.approx((1 + 2 / 3) / 3)
    assert metrics.average_precision(["b", "a"], QRELS, k=1) == 0.0
    assert metrics.average_precision(["b", "c"], QRELS, n_relevant=1) == pytest.approx(0.5)
    assert metrics.average_precision(["x"], {"x": 0}) == 0.0


def test_reciprocal_rank_and_precision_at_1():
    assert metrics.reciprocal_rank(["b", "x", "d"], QRELS) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(["b", "x", "d"], QRELS, k=2) == 0.0
    assert metrics.precision_at_1(["a"], QRELS) == 1.0
    assert metrics.precision_at_1(["b", "a"], QRELS) == 0.0
    assert metrics.precision_at_1([], QRELS) == 0.0


def test_ndcg_uses_exponential_graded_gains():
    # ranking c, a: gains 1, 3 -> DCG = 1 + 3/log2(3); ideal a, c, d: 3 + 1/log2(3) + 1/2
    dcg = 1 + 3 / math.log2(3)
    ideal = 3 + 1 / math.log2(3) + 0.5
    assert metrics.ndcg(["c", "a"], QRELS, k=10) == pytest.approx(dcg / ideal)
    assert metrics.ndcg(["a", "c", "d"], QRELS) == pytest.approx(1.0)
    assert metrics.ndcg(["b"], {"b": 0}) == 0.0


def test_recall():
    assert metrics.recall(["a", "b", "c"], QRELS, k=2) == pytest.approx(1 / 3)
    assert metrics.recall(["a", "c", "d"], QRELS) == 1.0
    assert metrics.recall(["a"], {}) == 0.0


def test_rerank_protocol_appends_missing_candidates_and_scores_zero_without_relevant():
    candidates = ["b", "a", "c"]
    # the system only returned "c": order becomes c, b, a -> relevant at 1 and 3 of 2 relevant
    m = rerank_metrics(["c", "zzz"], candidates, QRELS)
    assert m["MAP"] == pytest.approx((1 + 2 / 3) / 2)
    assert m["MRR"] == 1.0 and m["P@1"] == 1.0
    assert rerank_metrics(["b"], ["b"], QRELS) == {"MAP": 0.0, "MRR": 0.0, "P@1": 0.0}


def test_retrieval_metrics_keys():
    m = retrieval_metrics(["a", "c", "d"], QRELS)
    assert m == {"nDCG@10": 1.0, "MAP": 1.0, "MRR": 1.0, "R@10": 1.0, "P@1": 1.0}
