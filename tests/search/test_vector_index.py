"""VectorIndex mechanics: ids, removal, approximate recall, atomic and verified persistence."""

from __future__ import annotations

import json
import os

import faiss
import numpy as np
import pytest

from search import index as index_module
from search.index import MANIFEST, VectorIndex

DIM = 32


def unit(rows: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    """Random unit vectors."""
    x = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def clustered(rows: int, dim: int, topics: int, seed: int, noise_seed: int | None = None) -> np.ndarray:
    """Unit vectors around topic directions, like sentence embeddings (cos to topic ~0.7).

    The same ``seed`` gives the same topics; ``noise_seed`` draws new points around them.
    """
    centres = unit(topics, dim, seed)
    rng = np.random.default_rng(seed if noise_seed is None else noise_seed)
    noise = rng.standard_normal((rows, dim)).astype(np.float32) / np.sqrt(dim)
    x = centres[rng.integers(0, topics, rows)] + noise
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_upsert_search_returns_database_ids():
    vecs = unit(50)
    ids = np.arange(1000, 1050)
    idx = VectorIndex(DIM)
    idx.upsert(ids, vecs)
    found, scores = idx.search(vecs[7], 3)[0]
    assert found[0] == 1007 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert len(idx) == 50 and 1049 in idx and 7 not in idx
    assert idx.ids() == list(range(1000, 1050))


def test_replace_keeps_one_vector_per_id():
    idx = VectorIndex(DIM)
    idx.upsert([1, 2, 3], unit(3, seed=1))
    new = unit(1, seed=2)
    idx.upsert([2], new)
    assert len(idx) == 3
    found, scores = idx.search(new, 3)[0]
    assert found[0] == 2 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(idx.vectors([2])[0], new[0])


def test_remove_does_not_renumber_other_ids():
    vecs = unit(20)
    idx = VectorIndex(DIM)
    idx.upsert(range(100, 120), vecs)
    idx.remove([100, 105, 999])  # 999 is unknown: ignored
    assert len(idx) == 18 and 105 not in idx
    for row in (1, 6, 19):  # ids after a removed one still point at their own vectors
        assert idx.search(vecs[row], 1)[0][0][0] == 100 + row


def test_no_minus_one_padding_when_k_exceeds_size():
    idx = VectorIndex(DIM)
    idx.upsert([5, 6], unit(2))
    found, scores = idx.search(unit(1, seed=3), 10)[0]
    assert sorted(found.tolist()) == [5, 6] and len(scores) == 2
    assert VectorIndex(DIM).search(unit(1), 5)[0][0].size == 0


def test_score_restricted_to_candidates():
    vecs = unit(10)
    idx = VectorIndex(DIM)
    idx.upsert(range(10), vecs)
    scores = idx.score(vecs[3], [3, 4, 42])
    assert set(scores) == {3, 4}
    assert scores[3] == pytest.approx(1.0, abs=1e-5)
    assert scores[4] == pytest.approx(float(vecs[4] @ vecs[3]), abs=1e-5)


def test_wrong_dimension_and_duplicate_ids_are_rejected():
    idx = VectorIndex(DIM)
    with pytest.raises(ValueError):
        idx.upsert([1], unit(1, dim=DIM + 1))
    with pytest.raises(ValueError):
        idx.upsert([1, 1], unit(2))


def test_switches_to_ivf_and_keeps_ids_mutable():
    vecs = clustered(3000, DIM, 30, seed=4)
    idx = VectorIndex(DIM, approx_threshold=2000)
    idx.upsert(range(3000), vecs)
    assert idx.kind == "ivf"
    idx.upsert([10], vecs[20:21])
    idx.remove([11])
    assert len(idx) == 2999 and 11 not in idx
    assert np.allclose(idx.vectors([10])[0], vecs[20])
    idx.remove(range(0, 2500))
    assert idx.kind == "flat" and idx.ids() == list(range(2500, 3000))


def test_ivf_lists_are_retrained_as_the_collection_grows():
    vecs = clustered(12_000, DIM, 50, seed=8)
    idx = VectorIndex(DIM, approx_threshold=2000)
    idx.upsert(range(2100), vecs[:2100])
    small = idx.nlist
    idx.upsert(range(2100, 12_000), vecs[2100:])
    assert 0 < small < idx.nlist and len(idx) == 12_000
    assert idx.search(vecs[11_999], 1)[0][0][0] == 11_999


@pytest.mark.slow
def test_ivf_recall_at_10_against_exact():
    """IVF-Flat (default nprobe) vs exact search on 30k clustered 384-d vectors."""
    data = clustered(30_000, 384, 1000, seed=5)
    queries = clustered(200, 384, 1000, seed=5, noise_seed=6)  # new points, same topics
    exact = faiss.IndexFlatIP(384)
    exact.add(data)
    _, truth = exact.search(queries.astype(np.float32), 10)
    idx = VectorIndex(384, approx_threshold=20_000)
    idx.upsert(range(30_000), data)
    assert idx.kind == "ivf"
    results = idx.search(queries, 10)
    recall = np.mean([len(set(t) & set(r[0].tolist())) / 10 for t, r in zip(truth, results)])
    assert recall >= 0.98


def test_save_load_round_trip(tmp_path):
    vecs = unit(30)
    idx = VectorIndex(DIM)
    idx.upsert(range(1, 31), vecs)
    idx.save(tmp_path, {"model_id": "m1", "last_change_id": 77})
    loaded, manifest = VectorIndex.load(tmp_path, "m1", DIM)
    assert manifest["last_change_id"] == 77 and manifest["count"] == 30
    assert manifest["kind"] == "flat" and manifest["schema_version"] == index_module.SCHEMA_VERSION
    assert loaded.ids() == list(range(1, 31))
    assert loaded.search(vecs[4], 1)[0][0][0] == 5


def test_ivf_round_trip(tmp_path):
    vecs = clustered(2500, DIM, 20, seed=7)
    idx = VectorIndex(DIM, approx_threshold=2000)
    idx.upsert(range(2500), vecs)
    idx.save(tmp_path, {"model_id": "m"})
    loaded, manifest = VectorIndex.load(tmp_path, "m", DIM, approx_threshold=2000)
    assert manifest["kind"] == loaded.kind == "ivf" and len(loaded) == 2500
    loaded.remove([3])
    assert 3 not in loaded and loaded.search(vecs[4], 1)[0][0][0] == 4


def test_save_leaves_no_temporary_or_stale_files(tmp_path):
    idx = VectorIndex(DIM)
    idx.upsert([1], unit(1))
    idx.save(tmp_path, {"model_id": "m"})
    idx.upsert([2], unit(1, seed=9))
    idx.save(tmp_path, {"model_id": "m"})
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and MANIFEST in names and not any(n.endswith(".tmp") for n in names)


def test_failed_save_keeps_previous_index(tmp_path, monkeypatch):
    idx = VectorIndex(DIM)
    idx.upsert([1], unit(1))
    idx.save(tmp_path, {"model_id": "m"})
    idx.upsert([2], unit(1, seed=9))

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(index_module.os, "replace", crash)
    with pytest.raises(OSError):
        idx.save(tmp_path, {"model_id": "m"})
    monkeypatch.undo()
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    loaded, manifest = VectorIndex.load(tmp_path, "m", DIM)
    assert loaded.ids() == [1] and manifest["count"] == 1


@pytest.mark.parametrize(
    "model_id, dim", [("other-model", DIM), ("m", DIM + 1)], ids=["model mismatch", "dim mismatch"]
)
def test_manifest_mismatch_means_rebuild(tmp_path, model_id, dim):
    idx = VectorIndex(DIM)
    idx.upsert([1], unit(1))
    idx.save(tmp_path, {"model_id": "m"})
    assert VectorIndex.load(tmp_path, model_id, dim) is None


def _saved(tmp_path):
    """Save a small index and return (manifest dict, index file path)."""
    idx = VectorIndex(DIM)
    idx.upsert(range(10), unit(10))
    idx.save(tmp_path, {"model_id": "m"})
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    return manifest, tmp_path / manifest["index_file"]


def test_schema_change_or_missing_manifest_means_rebuild(tmp_path):
    assert VectorIndex.load(tmp_path, "m", DIM) is None
    manifest, _ = _saved(tmp_path)
    manifest["schema_version"] = 999
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    assert VectorIndex.load(tmp_path, "m", DIM) is None
    (tmp_path / MANIFEST).write_text("{not json")
    assert VectorIndex.load(tmp_path, "m", DIM) is None


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "garbage-with-matching-checksum"])
def test_damaged_index_file_is_never_trusted(tmp_path, damage):
    manifest, path = _saved(tmp_path)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    elif damage == "delete":
        os.remove(path)
    else:  # a file that passes the checksum but is not a FAISS index
        import hashlib

        path.write_bytes(b"garbage" * 10)
        manifest["index_sha256"] = hashlib.sha256(b"garbage" * 10).hexdigest()
        (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    assert VectorIndex.load(tmp_path, "m", DIM) is None


def test_count_mismatch_is_rejected(tmp_path):
    manifest, _ = _saved(tmp_path)
    manifest["count"] = 11
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    assert VectorIndex.load(tmp_path, "m", DIM) is None
