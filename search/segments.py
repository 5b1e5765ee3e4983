"""VectorSnapshot: an immutable vector index that queries read without locks.

A snapshot is a large *base* (a FAISS index, often memory-mapped from a file
that every worker process shares) plus a small in-memory *delta* of vectors
added or replaced since the base was written, and the base ids those changes
*hide* (replaced or removed). Applying changes makes a new snapshot: the base
is shared, only the delta is copied, so the cost is O(delta), not O(index).
Readers hold a reference to one snapshot for the whole query and never see a
half-applied change; writers swap the reference when the new one is ready.
When the delta grows, ``compacted`` folds it into a new base (Lucene's
segments and merges, in two levels).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import faiss
import numpy as np

from search.embedder import file_sha256
from search.index import SCHEMA_VERSION, _atomic_write, _manifest_matches, _read_manifest
from search.threads import in_this_thread


class VectorSnapshot:
    """Inner-product search over unit vectors by database id; never mutated after creation."""

    def __init__(
        self,
        dim: int,
        base: faiss.Index | None = None,
        base_ids: np.ndarray | None = None,
        delta_ids: np.ndarray | None = None,
        delta: np.ndarray | None = None,
        hidden: np.ndarray | None = None,
        nprobe: int | None = None,
    ) -> None:
        """Wrap a base index and a delta; callers normally use ``empty``, ``from_base`` and
        ``with_changes``.

        Args:
            dim: Vector dimension.
            base: A FAISS index with database ids (IndexIDMap2 or IVF), read only here.
            base_ids: Sorted int64 ids stored in ``base``.
            delta_ids: Int64 ids of the delta rows (unique, none hidden).
            delta: float32 (len(delta_ids), dim) vectors added since the base.
            hidden: Sorted int64 base ids that no longer count (removed or in the delta).
            nprobe: IVF lists to scan (the base's own setting when None).
        """
        self.dim = dim
        self.base = base
        self.base_ids = _ids(base_ids)
        self.delta_ids = _ids(delta_ids)
        self.delta = np.zeros((0, dim), np.float32) if delta is None else _matrix(delta, dim)
        self.hidden = _ids(hidden)
        self.nprobe = nprobe
        self._delta_pos = {int(i): n for n, i in enumerate(self.delta_ids.tolist())}
        self._params = self._search_params()

    @classmethod
    def empty(cls, dim: int) -> VectorSnapshot:
        """A snapshot with no vectors."""
        return cls(dim)

    @classmethod
    def from_base(cls, base: faiss.Index, nprobe: int | None = None) -> VectorSnapshot:
        """A snapshot whose vectors are all in ``base`` (e.g. just read from a file)."""
        return cls(base.d, base, np.sort(stored_ids(base)), nprobe=nprobe)

    # ------------------------------------------------------------ reading
    def __len__(self) -> int:
        """Number of live vectors."""
        return len(self.base_ids) - len(self.hidden) + len(self.delta_ids)

    def __contains__(self, doc_id: object) -> bool:
        """Whether a live vector is stored under ``doc_id``."""
        if not isinstance(doc_id, (int, np.integer)):
            return False
        return int(doc_id) in self._delta_pos or (
            _member(self.base_ids, doc_id) and not _member(self.hidden, doc_id))

    def ids(self) -> list[int]:
        """The live ids, sorted."""
        live = np.setdiff1d(self.base_ids, self.hidden, assume_unique=True)
        return sorted(np.union1d(live, self.delta_ids).tolist())

    def search(self, queries: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The ``k`` live vectors closest to each query (the ``VectorIndex.search`` contract).

        Args:
            queries: Array (n, dim) or a single vector (dim,).
            k: Results per query.

        Returns:
            One ``(ids int64, scores float32)`` pair per query, best first.
        """
        in_this_thread()  # a request thread: FAISS on this process's share of the cores
        return [self._search_one(q, k) for q in _matrix(queries, self.dim)]

    def _search_one(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        ids, scores = [], []
        if self.base is not None and len(self.base_ids) > len(self.hidden):
            found_scores, found_ids = self.base.search(q[None, :], k, params=self._params)
            keep = found_ids[0] >= 0
            ids.append(found_ids[0][keep])
            scores.append(found_scores[0][keep])
        if len(self.delta_ids):
            delta_scores = self.delta @ q
            top = np.argsort(-delta_scores)[:k]
            ids.append(self.delta_ids[top])
            scores.append(delta_scores[top].astype(np.float32))
        all_ids, all_scores = np.concatenate(ids), np.concatenate(scores)
        order = np.argsort(-all_scores, kind="stable")[:k]
        return all_ids[order], all_scores[order]

    def score(self, query: np.ndarray, ids: Iterable[int]) -> dict[int, float]:
        """Exact inner product between one query and the live vectors of ``ids``.

        Args:
            query: Vector of shape (dim,).
            ids: Candidate ids; ids without a live vector are left out.

        Returns:
            ``{id: score}``.
        """
        present = self._live(_ids(list(ids)))
        if not len(present):
            return {}
        scores = self.vectors(present) @ _matrix(query, self.dim)[0]
        return dict(zip(present.tolist(), scores.astype(float).tolist()))

    def _live(self, ids: np.ndarray) -> np.ndarray:
        """The ids that have a live vector, in their order (vectorised ``in``: a query's pool)."""
        in_delta = np.fromiter((int(i) in self._delta_pos for i in ids), bool, len(ids))
        live = in_delta | (_members(self.base_ids, ids) & ~_members(self.hidden, ids))
        return ids[live]

    def vectors(self, ids: Iterable[int]) -> np.ndarray:
        """The live vectors of ``ids`` (all must be live), shape (n, dim)."""
        ids = [int(i) for i in ids]
        out = np.zeros((len(ids), self.dim), np.float32)
        from_base = [(n, i) for n, i in enumerate(ids) if i not in self._delta_pos]
        for n, i in enumerate(ids):
            if i in self._delta_pos:
                out[n] = self.delta[self._delta_pos[i]]
        if from_base:
            rows = self.base.reconstruct_batch(np.array([i for _, i in from_base], np.int64))
            out[[n for n, _ in from_base]] = rows
        return out

    def matches(self, ids: Iterable[int], expected: np.ndarray) -> np.ndarray:
        """Whether the live vector of each id is ``expected`` (one row per id, all live).

        Exact rows (delta, flat base) must agree within 1e-4 per dimension. A quantised
        base holds fp16 (or, in older files, 8-bit) approximations: there ``expected`` is encoded and decoded with
        the base's own quantiser, which gives back the stored row exactly when the
        vector has not changed.
        """
        ids = [int(i) for i in ids]
        have, want = self.vectors(ids), _matrix(expected, self.dim)
        if isinstance(self.base, faiss.IndexIVFScalarQuantizer):
            quantised = np.array([i not in self._delta_pos for i in ids], bool)
            if quantised.any():
                want = want.copy()
                want[quantised] = self.base.sa_decode(self.base.sa_encode(want[quantised]))
        return np.isclose(have, want, atol=1e-4).all(axis=1)

    # ------------------------------------------------------------ writing (new snapshots)
    def with_changes(self, upserts: Mapping[int, np.ndarray], removals: Iterable[int] = ()) -> VectorSnapshot:
        """A new snapshot with vectors added or replaced and ids removed; self is unchanged.

        Args:
            upserts: ``{id: vector}`` to add or replace.
            removals: Ids to drop (unknown ids are ignored).

        Returns:
            The new snapshot, sharing this one's base.
        """
        changed = _ids(sorted({int(i) for i in upserts} | {int(i) for i in removals}))
        if not len(changed):
            return self
        keep = ~np.isin(self.delta_ids, changed)
        new_ids = _ids(sorted(int(i) for i in upserts))
        new_rows = _matrix(np.stack([upserts[int(i)] for i in new_ids.tolist()]) if len(new_ids)
                           else np.zeros((0, self.dim), np.float32), self.dim)
        hidden = np.union1d(self.hidden, np.intersect1d(self.base_ids, changed, assume_unique=True))
        return VectorSnapshot(
            self.dim, self.base, self.base_ids,
            np.concatenate([self.delta_ids[keep], new_ids]),
            np.concatenate([self.delta[keep], new_rows]),
            hidden, self.nprobe,
        )

    @property
    def pending(self) -> int:
        """How many changes sit outside the base (delta rows plus hidden base ids)."""
        return len(self.delta_ids) + len(self.hidden)

    def compacted(self, build) -> VectorSnapshot:
        """Fold the delta into a new base built by ``build(ids, vectors) -> faiss.Index``.

        Args:
            build: Makes the new base from all live ids and vectors (flat or IVF, the
                caller's choice).

        Returns:
            A snapshot with an empty delta whose base holds every live vector.
        """
        ids = np.array(self.ids(), np.int64)
        base = build(ids, self.vectors(ids) if len(ids) else np.zeros((0, self.dim), np.float32))
        return VectorSnapshot(self.dim, base, ids, nprobe=self.nprobe)

    def _search_params(self):
        """FAISS parameters that skip hidden base ids (and set nprobe on IVF)."""
        selector = None
        if len(self.hidden):
            # Kept on self: FAISS holds raw pointers to the selectors.
            self._batch = faiss.IDSelectorBatch(self.hidden)
            selector = self._not = faiss.IDSelectorNot(self._batch)
        if isinstance(self.base, faiss.IndexIVF):
            return faiss.SearchParametersIVF(sel=selector, nprobe=self.nprobe or self.base.nprobe)
        return faiss.SearchParameters(sel=selector) if selector is not None else None


def stored_ids(index: faiss.Index) -> np.ndarray:
    """The external ids held by a flat IndexIDMap2 or an IVF index."""
    if isinstance(index, faiss.IndexIDMap2):
        return faiss.vector_to_array(index.id_map).astype(np.int64)
    invlists = index.invlists
    parts = []
    for list_no in range(index.nlist):
        size = invlists.list_size(list_no)
        if size:
            parts.append(faiss.rev_swig_ptr(invlists.get_ids(list_no), size).copy())
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


# ---------------------------------------------------------------- snapshot bases
BASE_MANIFEST = "base.json"
_BASE_PREFIX = "base-"


def write_base(directory: str | os.PathLike, index: faiss.Index, fields: dict) -> dict:
    """Write a snapshot base under a unique name, then point ``base.json`` at it atomically.

    Several processes may share the folder: every file name is new (never
    overwritten in place), and the manifest rename is the commit point, so a
    reader sees the old pair or the new pair. Superseded files are left for
    ``remove_old_bases``.

    Args:
        directory: Target folder (created if missing).
        index: A FAISS index with database ids (flat IndexIDMap2 or IVF).
        fields: Caller fields for the manifest; ``model_id`` is required.

    Returns:
        The manifest written.
    """
    if "model_id" not in fields:
        raise ValueError("manifest must name the model_id the vectors come from")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    filename = f"{_BASE_PREFIX}{os.getpid()}-{os.urandom(6).hex()}.faiss"
    tmp = directory / f".{filename}.tmp"
    try:
        faiss.write_index(index, str(tmp))
        checksum = file_sha256(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, directory / filename)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    kind = _kind(index)
    manifest = {**fields, "schema_version": SCHEMA_VERSION, "dim": index.d, "count": int(index.ntotal),
                "kind": kind, "index_file": filename, "index_sha256": checksum}
    _atomic_write(directory / BASE_MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
    return manifest


# Manifests written by earlier versions name the same layout differently.
OLD_KINDS = {"ivf-sq8": "ivf-sq"}


def read_base(directory: str | os.PathLike, expected_model_id: str, expected_dim: int) -> tuple[faiss.Index, dict] | None:
    """Open the base that ``base.json`` names, memory-mapped when FAISS can, if it verifies.

    Args:
        directory: Folder given to ``write_base``.
        expected_model_id: Model id the vectors must come from.
        expected_dim: Vector dimension the caller uses.

    Returns:
        ``(index, manifest)``, or None when the caller must rebuild: no manifest,
        a model/dim/schema mismatch, or a missing, damaged or inconsistent file.
    """
    directory = Path(directory)
    manifest = _read_manifest(directory, BASE_MANIFEST)
    if manifest is None or not _manifest_matches(manifest, expected_model_id, expected_dim):
        return None
    path = directory / str(manifest["index_file"])
    try:
        if file_sha256(path) != manifest.get("index_sha256"):
            return None
        # Memory-mapped: worker processes on one machine share the pages. IO_FLAG_MMAP maps
        # IVF lists in place (read-only OnDiskInvertedLists); flat codes use MMAP_IFC.
        kind = OLD_KINDS.get(manifest["kind"], manifest["kind"])
        flags = faiss.IO_FLAG_MMAP if kind == "ivf-sq" else faiss.IO_FLAG_MMAP_IFC
        index = faiss.read_index(str(path), flags | faiss.IO_FLAG_READ_ONLY)
    except (OSError, RuntimeError):
        return None
    if (_kind(index) != kind or index.d != expected_dim
            or index.ntotal != manifest.get("count")):
        return None
    if isinstance(index, faiss.IndexIVF):
        # Mapped lists would otherwise start 32 prefetch threads for every query.
        faiss.downcast_InvertedLists(index.invlists).prefetch_nthread = 0
    return index, manifest


def _kind(index: faiss.Index) -> str:
    """The manifest's name for a base's layout."""
    if isinstance(index, faiss.IndexIVFScalarQuantizer):
        return "ivf-sq"  # fp16 codes (8-bit in bases written before; the codec is in the file)
    return "ivf" if isinstance(index, faiss.IndexIVF) else "flat"


def remove_old_bases(directory: str | os.PathLike, keep: str, older_than: float) -> list[str]:
    """Delete base files other than ``keep`` last modified more than ``older_than`` s ago.

    Safe beside readers: a process that already mapped a file keeps its pages
    after the unlink, and the grace period covers one that has just read the
    previous manifest and is about to open its file.
    """
    removed = []
    now = time.time()
    for old in Path(directory).glob(f"{_BASE_PREFIX}*.faiss"):
        try:
            if old.name != keep and now - old.stat().st_mtime > older_than:
                old.unlink()
                removed.append(old.name)
        except FileNotFoundError:
            continue
    return removed


def _members(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Whether each of ``ids`` is in ``sorted_ids`` (binary search, no copy of the big array)."""
    if not len(sorted_ids):
        return np.zeros(len(ids), bool)
    pos = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return sorted_ids[pos] == ids


def _member(sorted_ids: np.ndarray, doc_id) -> bool:
    pos = int(np.searchsorted(sorted_ids, doc_id))
    return pos < len(sorted_ids) and int(sorted_ids[pos]) == int(doc_id)


def _ids(ids) -> np.ndarray:
    if ids is None:
        return np.zeros(0, np.int64)
    return np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))


def _matrix(vectors, dim: int) -> np.ndarray:
    matrix = np.ascontiguousarray(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))
    if matrix.ndim != 2 or (matrix.size and matrix.shape[1] != dim):
        raise ValueError(f"expected vectors of dimension {dim}, got shape {matrix.shape}")
    return matrix
