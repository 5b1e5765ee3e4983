"""Vector bases for snapshots: exact when small, IVF with fp16 codes memory-mapped when large (issue 9).

A base is the big, immutable part of a ``VectorSnapshot``, written by the keeper
and mapped by every worker (``search.segments.read_base``). Small collections stay
exact (``IndexIDMap2(IndexFlatIP)``). Above ``LARGE_BASE`` vectors the base is an
``IndexIVFScalarQuantizer`` with 16-bit float codes (768 B per MiniLM vector instead
of 1,536: ~770 MB at a million) and native ids with a hashtable direct map so
``reconstruct`` works by database id. Its inverted lists are read with
``faiss.IO_FLAG_MMAP``: the codes stay in the file and every worker shares them
through the page cache.

Folding a delta into a large base copies the old codes list by list (minus the
hidden ids) and encodes only the new vectors, with the same trained coarse
quantiser and scalar ranges, so unchanged vectors are never decoded and
re-quantised; the lists are re-trained only when the collection has grown or
shrunk fourfold since training (``needs_training``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import faiss
import numpy as np

LARGE_BASE = 50_000
# Shape measured with benchmarks/bench_million.py on mixtures of real all-MiniLM-L6-v2
# vectors (benchmarks/README.md, "A million threads"): with ~4*sqrt(n) lists, recall@10
# stops rising at 5-8% of the lists scanned (100k and 1M alike).
NLIST_PER_SQRT_N = 4
NPROBE_SHARE = 0.08
# fp16 codes: at 1M, 8-bit codes (even with ranges from the 0.1-99.9% quantiles) capped
# recall@10 at 0.980 whatever the lists scanned; fp16 gives 0.998 at the same search time
# (3 ms at 8% of the lists, one thread), for twice the file (shared by the workers).
CODES = faiss.ScalarQuantizer.QT_fp16
TRAIN_POINTS_PER_LIST = 40   # k-means sample: enough for stable lists, bounded build time
MIN_TRAINING = 50_000
CHUNK = 50_000               # vectors encoded per step (bounds the keeper's memory)
RETRAIN_FACTOR = 4

VectorsOf = Callable[[np.ndarray], np.ndarray]


def ivf_shape(n: int) -> tuple[int, int]:
    """``(nlist, nprobe)`` for a base of ``n`` vectors."""
    # At least 39 training points per list (FAISS's own minimum for stable k-means).
    nlist = max(1, min(int(NLIST_PER_SQRT_N * math.sqrt(max(n, 1))), n // 39))
    return nlist, max(1, math.ceil(nlist * NPROBE_SHARE))


def is_large(index: faiss.Index | None) -> bool:
    """Whether ``index`` is a quantised IVF base."""
    return isinstance(index, faiss.IndexIVFScalarQuantizer)


def build_base(ids: np.ndarray, vectors_of: VectorsOf, dim: int, large: int = LARGE_BASE) -> faiss.Index:
    """A new base holding ``ids``: exact up to ``large`` vectors, trained IVF-SQfp16 above.

    Args:
        ids: Sorted int64 database ids.
        vectors_of: Returns the float32 (len(chunk), dim) vectors of a chunk of ids;
            called chunk by chunk so a million vectors never sit in memory at once.
        dim: Vector dimension.
        large: Above this many vectors, build IVF-SQfp16.

    Returns:
        The FAISS index (IndexIDMap2 over IndexFlatIP, or IndexIVFScalarQuantizer).
    """
    ids = np.ascontiguousarray(ids, np.int64)
    if len(ids) <= large:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        index = _trained_ivf(ids, vectors_of, dim)
    _add_in_chunks(index, ids, vectors_of)
    return index


def needs_training(index: faiss.Index | None, n: int, large: int = LARGE_BASE) -> bool:
    """Whether a base for ``n`` vectors must be built afresh rather than folded into ``index``."""
    if not is_large(index):
        return n > large or not isinstance(index, faiss.IndexIDMap2)
    trained_for, _ = ivf_shape(n)
    return n <= large // 2 or not (index.nlist / RETRAIN_FACTOR ** 0.5 <= trained_for
                                   <= index.nlist * RETRAIN_FACTOR ** 0.5)


def fold(base: faiss.Index, hidden: np.ndarray, delta_ids: np.ndarray, delta: np.ndarray) -> faiss.Index:
    """A new base: ``base`` without ``hidden`` ids, plus the delta, without re-training.

    Args:
        base: A flat IndexIDMap2 or an IVF-SQfp16 base (may be memory-mapped; not changed).
        hidden: Sorted ids of ``base`` to leave out.
        delta_ids: Ids of the new vectors (none of them kept from ``base``).
        delta: Their float32 vectors.

    Returns:
        A new in-memory index of the same kind.
    """
    new = _empty_like(base)
    if is_large(base):
        _copy_lists(base, new, hidden)
        new.set_direct_map_type(faiss.DirectMap.Hashtable)
    else:
        kept = faiss.vector_to_array(base.id_map).astype(np.int64)
        kept = np.ascontiguousarray(kept[~np.isin(kept, hidden)])
        if len(kept):
            new.add_with_ids(base.reconstruct_batch(kept), kept)
    if len(delta_ids):
        new.add_with_ids(np.ascontiguousarray(delta, np.float32), np.ascontiguousarray(delta_ids, np.int64))
    return new


def compact(snapshot, large: int = LARGE_BASE, vectors_of: VectorsOf | None = None) -> faiss.Index:
    """A base holding every live vector of a ``VectorSnapshot``: its delta folded into the
    current base when the lists still fit the size, else a base built afresh.

    Args:
        snapshot: The snapshot to compact (not changed).
        large: Above this many vectors, the base is IVF-SQfp16.
        vectors_of: Exact vectors by id for a fresh build (e.g. from the database);
            defaults to the snapshot's own, which a quantised base only approximates.

    Returns:
        A new in-memory FAISS index, to be written with ``search.segments.write_base``.
    """
    ids = np.array(snapshot.ids(), np.int64)
    if snapshot.base is not None and not needs_training(snapshot.base, len(ids), large):
        return fold(snapshot.base, snapshot.hidden, snapshot.delta_ids, snapshot.delta)
    return build_base(ids, vectors_of or snapshot.vectors, snapshot.dim, large)


def _trained_ivf(ids: np.ndarray, vectors_of: VectorsOf, dim: int) -> faiss.IndexIVFScalarQuantizer:
    """An empty IVF (fp16 codes) with lists trained on a sample of the vectors."""
    nlist, nprobe = ivf_shape(len(ids))
    rng = np.random.default_rng(1234)
    # k-means wants ~40 points a list.
    size = min(len(ids), max(nlist * TRAIN_POINTS_PER_LIST, MIN_TRAINING))
    sample = np.sort(rng.choice(ids, size=size, replace=False))
    training = np.ascontiguousarray(vectors_of(sample), np.float32)
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, nlist, CODES,
                                          faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = 1234  # reproducible clustering
    index.cp.niter = 10
    index.train(training)
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    index.nprobe = nprobe
    return index


def _add_in_chunks(index: faiss.Index, ids: np.ndarray, vectors_of: VectorsOf) -> None:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        index.add_with_ids(np.ascontiguousarray(vectors_of(chunk), np.float32), chunk)


def _empty_like(base: faiss.Index) -> faiss.Index:
    """An empty index with ``base``'s trained state (coarse lists, scalar ranges)."""
    if not is_large(base):
        return faiss.IndexIDMap2(faiss.IndexFlatIP(base.d))
    quantizer = faiss.clone_index(base.quantizer)
    new = faiss.IndexIVFScalarQuantizer(quantizer, base.d, base.nlist, base.sq.qtype,
                                        faiss.METRIC_INNER_PRODUCT)
    new.own_fields = True
    quantizer.this.disown()  # the new index owns (and frees) the cloned quantiser
    new.sq.trained = base.sq.trained
    new.by_residual = base.by_residual
    new.is_trained = True
    new.nprobe = base.nprobe
    new.set_direct_map_type(faiss.DirectMap.Hashtable)
    return new


def _copy_lists(base: faiss.Index, new: faiss.Index, hidden: np.ndarray) -> None:
    """Copy every inverted list's codes and ids except the hidden ids (no decoding)."""
    source, target, code_size = base.invlists, new.invlists, base.code_size
    new.set_direct_map_type(faiss.DirectMap.NoMap)  # rebuilt once at the end
    total = 0
    for list_no in range(base.nlist):
        size = source.list_size(list_no)
        if not size:
            continue
        ids = faiss.rev_swig_ptr(source.get_ids(list_no), size).copy()
        codes = faiss.rev_swig_ptr(source.get_codes(list_no), size * code_size).reshape(size, code_size)
        keep = ~np.isin(ids, hidden) if len(hidden) else np.ones(size, bool)
        kept_ids = np.ascontiguousarray(ids[keep])
        kept_codes = np.ascontiguousarray(codes[keep])
        if len(kept_ids):
            target.add_entries(list_no, len(kept_ids), faiss.swig_ptr(kept_ids), faiss.swig_ptr(kept_codes))
            total += len(kept_ids)
    new.ntotal = total
