"""VectorSnapshot: immutable base + delta snapshots agree with exact search; bases persist safely."""

from __future__ import annotations

import os
import time

import faiss
import numpy as np
import pytest

from search.segments import VectorSnapshot, read_base, remove_old_bases, write_base
from tests.search.test_vector_index import unit

DIM = 32


def flat(ids, vectors) -> faiss.Index:
    """An exact base index with database ids."""
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    if len(ids):
        index.add_with_ids(np.asarray(vectors, np.float32), np.asarray(ids, np.int64))
    return index


def exact(truth: dict[int, np.ndarray], query: np.ndarray, k: int) -> list[int]:
    """The oracle: brute force over a plain dict."""
    scores = {i: float(v @ query) for i, v in truth.items()}
    return [i for i, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def test_changes_on_a_base_match_exact_search():
    rng = np.random.default_rng(3)
    vectors = unit(300, DIM, seed=1)
    truth = {1000 + n: vectors[n] for n in range(200)}
    snap = VectorSnapshot.from_base(flat(list(truth), [truth[i] for i in truth]))
    fresh = iter(unit(200, DIM, seed=2))  # distinct vectors: no ties in the ranking
    for step in range(30):  # replace, add and remove, in small batches
        ups = {int(i): next(fresh) for i in rng.choice(list(truth) + [5000 + step], 4)}
        gone = [int(rng.choice(list(truth)))]
        gone = [g for g in gone if g not in ups]
        snap = snap.with_changes(ups, gone)
        truth.update(ups)
        for g in gone:
            truth.pop(g, None)
    removed = sorted(set(range(1000, 1200)) - set(truth))  # hidden in the base
    assert removed
    assert len(snap) == len(truth) and snap.ids() == sorted(truth)
    for query in unit(10, DIM, seed=9):
        ids, scores = snap.search(query, 10)[0]
        assert ids.tolist() == exact(truth, query, 10)
        assert np.allclose(scores, [truth[i] @ query for i in ids.tolist()], atol=1e-5)
        some = list(truth)[:20] + [424242] + removed  # unknown and removed ids: no score
        assert snap.score(query, some) == pytest.approx({i: float(truth[i] @ query) for i in some[:20]}, abs=1e-5)
    compact = snap.compacted(flat)
    assert compact.pending == 0 and compact.ids() == sorted(truth)
    query = unit(1, DIM, seed=11)[0]
    assert compact.search(query, 10)[0][0].tolist() == exact(truth, query, 10)


def test_a_snapshot_never_changes_once_made():
    vectors = unit(20, DIM, seed=4)
    before = VectorSnapshot.from_base(flat(range(10), vectors[:10]))
    after = before.with_changes({3: vectors[15], 42: vectors[16]}, [5])
    query = vectors[15]
    assert 5 in before and 5 not in after and 42 not in before and 42 in after
    assert before.search(query, 1)[0][0].tolist() != [3] or np.allclose(before.vectors([3])[0], vectors[3])
    assert np.allclose(before.vectors([3])[0], vectors[3]) and np.allclose(after.vectors([3])[0], vectors[15])
    assert after.search(query, 1)[0][0].tolist() == [3]
    assert len(before) == 10 and len(after) == 10


def test_hidden_base_vectors_never_come_back_even_when_k_is_large():
    vectors = unit(50, DIM, seed=6)
    snap = VectorSnapshot.from_base(flat(range(50), vectors)).with_changes({}, range(0, 50, 2))
    ids, _ = snap.search(vectors[0], 50)[0]
    assert sorted(ids.tolist()) == list(range(1, 50, 2))


def test_base_round_trip_and_damage(tmp_path):
    vectors = unit(40, DIM, seed=7)
    manifest = write_base(tmp_path, flat(range(100, 140), vectors), {"model_id": "m", "seq": 7})
    index, read = read_base(tmp_path, "m", DIM)
    assert read["seq"] == 7 and index.ntotal == 40
    assert VectorSnapshot.from_base(index).search(vectors[3], 1)[0][0].tolist() == [103]
    assert read_base(tmp_path, "other-model", DIM) is None
    with open(tmp_path / manifest["index_file"], "r+b") as fh:
        fh.seek(60)
        fh.write(b"\x00damage\x00" * 4)
    assert read_base(tmp_path, "m", DIM) is None


def test_every_write_gets_its_own_file_and_cleanup_keeps_the_current_one(tmp_path):
    first = write_base(tmp_path, flat(range(3), unit(3, DIM)), {"model_id": "m"})
    second = write_base(tmp_path, flat(range(3), unit(3, DIM, seed=1)), {"model_id": "m"})
    assert first["index_file"] != second["index_file"]
    assert remove_old_bases(tmp_path, keep=second["index_file"], older_than=60) == []  # grace
    old = tmp_path / first["index_file"]
    os.utime(old, (time.time() - 120, time.time() - 120))
    assert remove_old_bases(tmp_path, keep=second["index_file"], older_than=60) == [first["index_file"]]
    assert (tmp_path / second["index_file"]).exists()
