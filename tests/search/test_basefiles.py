"""Large vector bases (issue 9): IVF-SQfp16 recall, memory-mapped sharing, damage, folding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import faiss
import numpy as np
import pytest

from search.basefiles import build_base, compact, fold, ivf_shape, needs_training
from search.segments import VectorSnapshot, read_base, write_base

REPO_ROOT = Path(__file__).resolve().parents[2]
DIM = 64


def unit(rows: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    """Random unit vectors."""
    x = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def mixtures(rows: int, dim: int, seed: int, sources: np.ndarray) -> np.ndarray:
    """Convex mixtures of two source vectors plus noise, renormalised (as bench_million.py)."""
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.55, 1.0, (rows, 1)).astype(np.float32)
    x = share * sources[rng.integers(0, len(sources), rows)] + (1 - share) * sources[
        rng.integers(0, len(sources), rows)]
    x += rng.standard_normal(x.shape).astype(np.float32) * (0.25 / np.sqrt(dim))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def topics(count: int, dim: int, seed: int) -> np.ndarray:
    """Source vectors grouped around topic directions, like sentence embeddings."""
    centres = unit(count // 20, dim, seed)
    rng = np.random.default_rng(seed + 1)
    x = centres[rng.integers(0, len(centres), count)] + rng.standard_normal((count, dim)).astype(
        np.float32) * (0.8 / np.sqrt(dim))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def lookup(ids: np.ndarray, vectors: np.ndarray):
    """A ``vectors_of`` callable for ``build_base`` over an in-memory table."""
    row = {int(i): n for n, i in enumerate(ids)}
    return lambda chunk: vectors[[row[int(i)] for i in chunk]]


def small_ivf(tmp_path, n: int = 4000) -> tuple[np.ndarray, np.ndarray, dict]:
    """An IVF-SQfp16 base of ``n`` unit vectors (ids 10..) written to ``tmp_path``."""
    vectors, ids = unit(n), np.arange(10, 10 + n, dtype=np.int64)
    base = build_base(ids, lookup(ids, vectors), DIM, large=1000)
    return ids, vectors, write_base(tmp_path, base, {"model_id": "m"})


@pytest.mark.slow
def test_ivf_recall_at_10_against_exact(tmp_path):
    """60k mixtures of 384-d topic vectors through a mapped IVF-SQfp16 base: recall@10 >= 0.98."""
    sources = topics(20_000, 384, seed=3)
    data = mixtures(60_000, 384, seed=4, sources=sources)
    queries = mixtures(200, 384, seed=5, sources=sources)  # new points, same sources
    ids = np.arange(1, 60_001, dtype=np.int64)
    base = build_base(ids, lambda chunk: data[chunk - 1], 384, large=50_000)
    assert isinstance(base, faiss.IndexIVFScalarQuantizer)
    assert base.sq.qtype == faiss.ScalarQuantizer.QT_fp16  # 8-bit codes capped 1M at 0.980
    write_base(tmp_path, base, {"model_id": "m"})
    mapped, manifest = read_base(tmp_path, "m", 384)
    assert manifest["kind"] == "ivf-sq"
    exact = faiss.IndexFlatIP(384)
    exact.add(data)
    _, truth = exact.search(queries, 10)
    found = VectorSnapshot.from_base(mapped).search(queries, 100)
    recall = np.mean([len(set((t + 1).tolist()) & set(f[:10].tolist())) / 10 for t, (f, _) in zip(truth, found)])
    assert recall >= 0.98


def test_small_bases_stay_exact():
    ids = np.arange(1, 101, dtype=np.int64)
    vectors = unit(100)
    base = build_base(ids, lookup(ids, vectors), DIM, large=1000)
    assert isinstance(base, faiss.IndexIDMap2)
    np.testing.assert_array_equal(base.reconstruct_batch(ids[:3]), vectors[:3])


def test_the_base_is_memory_mapped_and_two_processes_share_one_file(tmp_path):
    ids, vectors, manifest = small_ivf(tmp_path)
    mapped, _ = read_base(tmp_path, "m", DIM)
    lists = faiss.downcast_InvertedLists(mapped.invlists)
    assert isinstance(lists, faiss.OnDiskInvertedLists) and lists.read_only
    path = str(tmp_path / manifest["index_file"])
    assert path in Path("/proc/self/maps").read_text()  # the codes stay in the file
    queries = vectors[:5]
    here = [r[0][:5].tolist() for r in VectorSnapshot.from_base(mapped).search(queries, 5)]
    script = (
        "import json, sys, numpy as np\n"
        "from pathlib import Path\n"
        "from search.segments import VectorSnapshot, read_base\n"
        "mapped, _ = read_base(sys.argv[1], 'm', int(sys.argv[2]))\n"
        "assert sys.argv[3] in Path('/proc/self/maps').read_text()\n"
        "q = np.array(json.loads(sys.stdin.read()), np.float32)\n"
        "print(json.dumps([r[0][:5].tolist() for r in VectorSnapshot.from_base(mapped).search(q, 5)]))\n"
    )
    other = subprocess.run([sys.executable, "-c", script, str(tmp_path), str(DIM), path],
                           input=json.dumps(queries.tolist()), capture_output=True, text=True,
                           cwd=REPO_ROOT, check=True, timeout=60)
    assert json.loads(other.stdout) == here
    assert [row[0] for row in here] == ids[:5].tolist()


def test_a_damaged_ivf_base_is_detected(tmp_path):
    _, _, manifest = small_ivf(tmp_path)
    path = tmp_path / manifest["index_file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the codes
    path.write_bytes(bytes(data))
    assert read_base(tmp_path, "m", DIM) is None


def test_a_manifest_naming_another_layout_is_rejected(tmp_path):
    _, _, manifest = small_ivf(tmp_path)
    (tmp_path / "base.json").write_text(json.dumps({**manifest, "kind": "flat"}))
    assert read_base(tmp_path, "m", DIM) is None


def test_folding_keeps_old_codes_exactly_and_applies_changes(tmp_path):
    ids, vectors, _ = small_ivf(tmp_path)
    mapped, _ = read_base(tmp_path, "m", DIM)
    snap = VectorSnapshot.from_base(mapped)
    before = snap.vectors(ids[2:50])
    new_vector = unit(1, seed=9)[0]
    changed = snap.with_changes({int(ids[0]): new_vector, 99_999: vectors[1]}, removals=[int(ids[1])])
    folded = VectorSnapshot.from_base(compact(changed, large=1000))
    assert isinstance(folded.base, faiss.IndexIVFScalarQuantizer)
    assert folded.ids() == changed.ids() and int(ids[1]) not in folded
    # unchanged vectors are copied code for code, never decoded and re-quantised
    np.testing.assert_array_equal(folded.vectors(ids[2:50]), before)
    assert folded.search(new_vector, 1)[0][0].tolist() == [int(ids[0])]
    assert folded.search(vectors[1], 2)[0][0].tolist()[0] in (99_999, int(ids[1])) and int(ids[1]) not in (
        folded.search(vectors[1], 5)[0][0].tolist())


def test_fold_of_a_flat_base_stays_exact():
    ids = np.arange(1, 51, dtype=np.int64)
    vectors = unit(50)
    base = build_base(ids, lookup(ids, vectors), DIM, large=1000)
    new = fold(base, np.array([3], np.int64), np.array([77], np.int64), unit(1, seed=4))
    snap = VectorSnapshot.from_base(new)
    assert 3 not in snap and 77 in snap and len(snap) == 50
    np.testing.assert_array_equal(snap.vectors([5]), vectors[4:5])


def test_lists_are_retrained_when_the_size_changes_fourfold():
    ids = np.arange(1, 4001, dtype=np.int64)
    base = build_base(ids, lookup(ids, unit(4000)), DIM, large=1000)
    assert base.nlist == ivf_shape(4000)[0]
    assert not needs_training(base, 5000, large=1000)
    assert needs_training(base, 40_000, large=1000)  # grown tenfold: new lists
    assert needs_training(base, 3000, large=8000)    # well below the threshold: exact again


def test_quantised_vectors_still_match_their_embeddings(tmp_path):
    ids, vectors, _ = small_ivf(tmp_path)
    snap = VectorSnapshot.from_base(read_base(tmp_path, "m", DIM)[0])
    assert not np.allclose(snap.vectors(ids[:20]), vectors[:20], atol=1e-4)  # approximations…
    assert snap.matches(ids[:20], vectors[:20]).all()                          # …that still match
    edited = vectors[:20] + 0.05 * unit(20, seed=3)
    assert not snap.matches(ids[:20], edited / np.linalg.norm(edited, axis=1, keepdims=True)).any()


def test_a_base_written_with_8_bit_codes_by_an_earlier_version_still_opens(tmp_path):
    """Upgrading keeps the mapped base (a 1M rebuild would load every vector in every worker)."""
    ids, vectors, _ = small_ivf(tmp_path, 2_000)
    old = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(DIM), DIM, 8,
                                        faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    old.train(vectors)
    old.set_direct_map_type(faiss.DirectMap.Hashtable)
    old.add_with_ids(vectors, ids)
    manifest = write_base(tmp_path, old, {"model_id": "m"})
    manifest["kind"] = "ivf-sq8"  # as written before fp16 codes
    (tmp_path / "base.json").write_text(json.dumps(manifest))
    mapped, _ = read_base(tmp_path, "m", DIM)
    assert mapped.ntotal == 2_000 and mapped.sq.qtype == faiss.ScalarQuantizer.QT_8bit
    folded = fold(mapped, np.zeros(0, np.int64), np.array([1], np.int64), vectors[:1])
    assert folded.sq.qtype == faiss.ScalarQuantizer.QT_8bit and folded.ntotal == 2_001
