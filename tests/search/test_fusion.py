"""Score fusion and multi-vector combination."""

from __future__ import annotations

import numpy as np
import pytest

from search.fusion import combine_vectors, reciprocal_rank_fusion, top_k, weighted_zscore_fusion, zscore


def test_zscore_standardises_and_handles_constant_scores():
    z = zscore({1: 1.0, 2: 2.0, 3: 3.0})
    assert z[2] == pytest.approx(0.0) and z[3] == pytest.approx(1.2247, abs=1e-4)
    assert zscore({1: 5.0, 2: 5.0}) == {1: 0.0, 2: 0.0}
    assert zscore({}) == {}


def test_weighted_fusion_interpolates_between_rankings():
    dense = {1: 0.9, 2: 0.5, 3: 0.1}
    lexical = {1: 0.0, 2: 0.0, 3: 12.0}
    assert max(weighted_zscore_fusion(dense, lexical, 0.0).items(), key=lambda x: x[1])[0] == 1
    assert max(weighted_zscore_fusion(dense, lexical, 1.0).items(), key=lambda x: x[1])[0] == 3


def test_weighted_fusion_fills_missing_scores():
    fused = weighted_zscore_fusion({1: 0.8, 2: 0.6}, {3: 4.0}, 0.5)
    assert set(fused) == {1, 2, 3}


def test_reciprocal_rank_fusion():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert [i for i, _ in top_k(fused, 2)] == [1, 3]
    assert [i for i, _ in top_k({5: 1.0, 2: 1.0, 9: 2.0}, 3)] == [9, 5, 2]  # ties keep input order


def test_combine_vectors_is_a_normalised_weighted_sum():
    a, b = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    v = combine_vectors({"main": a, "replies": b, "other": a}, {"main": 1.0, "replies": 1.0})
    assert np.allclose(v, [2**-0.5, 2**-0.5]) and v.dtype == np.float32
    assert np.allclose(combine_vectors({"main": a}, {"main": 1.0, "replies": 0.5}), a)
    with pytest.raises(ValueError):
        combine_vectors({"x": a}, {"main": 1.0})
