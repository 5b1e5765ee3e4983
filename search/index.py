"""Vector index over FAISS keyed by database ids, with atomic, verified persistence.

Two layouts, switched by size:

* ``flat``: ``IndexIDMap2(IndexFlatIP)``, exact. ``remove_ids`` is safe here
  because IndexIDMap2 keeps the id mapping; on a *bare* flat index it would
  renumber every vector after the removed one.
* ``ivf``: ``IndexIVFFlat`` with native ids and a hashtable direct map, so
  upsert/remove/reconstruct work by database id (IndexIDMap2 over IVF cannot
  remove). HNSW was measured too but cannot delete vectors at all
  (benchmarks/README.md).

The index is derived state: ``load`` returns None rather than trusting a
file it cannot verify, and the caller rebuilds from the database.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

from search.threads import in_this_thread

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
APPROX_THRESHOLD = 20_000
# IVF shape, measured on 28k real all-MiniLM-L6-v2 vectors (benchmarks/README.md):
# nlist = 2*sqrt(n) lists, scanning a third of them, keeps recall@10 >= 0.98
# versus exact search; sentence embeddings are not tightly clustered, so a
# smaller share (the usual nprobe=16 of ~700) drops recall to ~0.87.
NLIST_PER_SQRT_N = 2
NPROBE_SHARE = 3
_FILE_PREFIX = "vectors-"


class VectorIndex:
    """Inner-product search over unit vectors, addressed by int64 database ids."""

    def __init__(self, dim: int, approx_threshold: int = APPROX_THRESHOLD, nprobe: int | None = None) -> None:
        """Create an empty exact index.

        Args:
            dim: Vector dimension.
            approx_threshold: Above this many vectors, switch to IVF-Flat.
            nprobe: IVF lists scanned per query; None = a third of the lists
                (recall@10 >= 0.98 measured on real sentence embeddings).
        """
        self.dim = dim
        self.approx_threshold = approx_threshold
        self.nprobe = nprobe
        self._index: faiss.Index = _new_flat(dim)
        self._ids: set[int] = set()
        self._lock = threading.RLock()  # FAISS indexes are not safe for concurrent writes

    @property
    def kind(self) -> str:
        """ "flat" (exact) or "ivf" (approximate)."""
        return "ivf" if isinstance(self._index, faiss.IndexIVF) else "flat"

    @property
    def nlist(self) -> int:
        """Number of IVF lists (0 for the exact layout)."""
        return int(self._index.nlist) if isinstance(self._index, faiss.IndexIVF) else 0

    def __len__(self) -> int:
        """Number of stored vectors."""
        return len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        """Whether a vector is stored under ``doc_id``."""
        return doc_id in self._ids

    def ids(self) -> list[int]:
        """Return the stored ids, sorted."""
        with self._lock:
            return sorted(self._ids)

    def upsert(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        """Insert or replace vectors by id.

        Args:
            ids: Database ids, unique within the call.
            vectors: Array of shape (len(ids), dim); should be L2-normalised.
        """
        id_array = _as_ids(ids)
        matrix = _as_matrix(vectors, self.dim)
        if len(id_array) != len(matrix) or len(set(id_array.tolist())) != len(id_array):
            raise ValueError("ids and vectors must have the same length and ids be unique")
        with self._lock:
            self._remove_present(id_array)
            self._index.add_with_ids(matrix, id_array)
            self._ids.update(id_array.tolist())
            self._maybe_switch_kind()

    def remove(self, ids: Iterable[int]) -> None:
        """Delete vectors by id; unknown ids are ignored."""
        with self._lock:
            self._remove_present(_as_ids(ids))
            self._maybe_switch_kind()

    def search(self, queries: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Find the ``k`` nearest stored vectors for each query.

        Args:
            queries: Array (n, dim) or a single vector (dim,).
            k: Results per query; capped at the collection size.

        Returns:
            One ``(ids int64, scores float32)`` pair per query, best first,
            FAISS's -1 padding removed.
        """
        matrix = _as_matrix(queries, self.dim)
        in_this_thread()  # FAISS on this process's share of the cores, in any thread
        with self._lock:
            k = min(k, len(self._ids))
            if k <= 0:
                empty = (np.zeros(0, np.int64), np.zeros(0, np.float32))
                return [empty for _ in range(len(matrix))]
            scores, ids = self._index.search(matrix, k)
        return [(row_ids[row_ids >= 0], row_scores[row_ids >= 0]) for row_ids, row_scores in zip(ids, scores)]

    def score(self, query: np.ndarray, ids: Iterable[int]) -> dict[int, float]:
        """Exact inner product between one query and the stored vectors of ``ids``.

        Args:
            query: Vector of shape (dim,).
            ids: Candidate ids; ids not stored are left out.

        Returns:
            ``{id: score}`` for the stored candidates.
        """
        with self._lock:
            present = _as_ids([i for i in ids if i in self._ids])
            if len(present) == 0:
                return {}
            stored = self._index.reconstruct_batch(present)
        scores = stored @ _as_matrix(query, self.dim)[0]
        return dict(zip(present.tolist(), scores.astype(float).tolist()))

    def vectors(self, ids: Iterable[int]) -> np.ndarray:
        """Return the stored vectors of ``ids`` (all must be present), shape (n, dim)."""
        with self._lock:
            return self._index.reconstruct_batch(_as_ids(ids))

    def _remove_present(self, id_array: np.ndarray) -> None:
        """Remove the ids that are stored; IVF's hashtable map needs IDSelectorArray."""
        present = np.array([i for i in id_array.tolist() if i in self._ids], dtype=np.int64)
        if len(present):
            self._index.remove_ids(faiss.IDSelectorArray(present))
            self._ids.difference_update(present.tolist())

    def _maybe_switch_kind(self) -> None:
        """Go approximate above the threshold, back to exact well below it (hysteresis),
        and re-train the IVF lists once the collection has grown about fourfold."""
        n = len(self._ids)
        if self.kind == "flat" and n > self.approx_threshold:
            self._rebuild(approximate=True)
        elif self.kind == "ivf" and n < self.approx_threshold // 2:
            self._rebuild(approximate=False)
        elif self.kind == "ivf" and 2 * self._index.nlist < NLIST_PER_SQRT_N * math.sqrt(n):
            self._rebuild(approximate=True)

    def _rebuild(self, approximate: bool) -> None:
        """Re-create the FAISS index of the other kind from the stored vectors."""
        ids = _as_ids(sorted(self._ids))
        vectors = self._index.reconstruct_batch(ids) if len(ids) else np.zeros((0, self.dim), np.float32)
        index = _new_ivf(vectors, self.nprobe) if approximate else _new_flat(self.dim)
        index.add_with_ids(vectors, ids)
        self._index = index

    def save(self, directory: str | os.PathLike, manifest: dict) -> Path:
        """Write the index and ``manifest.json`` atomically into ``directory``.

        The index goes to a content-named file first; replacing the manifest is
        the commit point, so a crash leaves either the old or the new pair.

        Args:
            directory: Target folder (created if missing).
            manifest: Caller fields to record, e.g. ``model_id`` (required),
                ``last_change_id``.

        Returns:
            Path of the written manifest.
        """
        if "model_id" not in manifest:
            raise ValueError("manifest must name the model_id the vectors come from")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            data = faiss.serialize_index(self._index).tobytes()
            full = {**manifest, "dim": self.dim, "count": len(self._ids), "kind": self.kind}
        checksum = hashlib.sha256(data).hexdigest()
        filename = f"{_FILE_PREFIX}{checksum[:16]}.faiss"
        _atomic_write(directory / filename, data)
        full.update(schema_version=SCHEMA_VERSION, index_file=filename, index_sha256=checksum)
        path = _atomic_write(directory / MANIFEST, json.dumps(full, indent=2, sort_keys=True).encode())
        _remove_stale_files(directory, keep=filename)
        return path

    @classmethod
    def load(
        cls, directory: str | os.PathLike, expected_model_id: str, expected_dim: int, **options
    ) -> tuple[VectorIndex, dict] | None:
        """Load an index saved by ``save`` if it matches and verifies.

        Args:
            directory: Folder given to ``save``.
            expected_model_id: Model id the vectors must come from.
            expected_dim: Vector dimension the caller uses.
            **options: ``approx_threshold`` / ``nprobe`` for the loaded index.

        Returns:
            ``(index, manifest)``, or None when a rebuild is needed: manifest
            missing or unreadable, model/dim/schema mismatch, index file
            missing, damaged or inconsistent. Never raises on damage.
        """
        manifest = _read_manifest(Path(directory))
        if manifest is None or not _manifest_matches(manifest, expected_model_id, expected_dim):
            return None
        index = _read_verified_index(Path(directory) / str(manifest["index_file"]), manifest)
        if index is None:
            return None
        loaded = cls(expected_dim, **options)
        loaded._index = index
        loaded._ids = set(_stored_ids(index))
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = _nprobe(index.nlist, loaded.nprobe)
        return loaded, manifest


def _new_flat(dim: int) -> faiss.Index:
    """Exact inner-product index addressed by external ids."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def _nprobe(nlist: int, requested: int | None) -> int:
    """The lists to scan: as requested, else a third of them."""
    return max(1, min(nlist, requested or math.ceil(nlist / NPROBE_SHARE)))


def _new_ivf(training: np.ndarray, nprobe: int | None) -> faiss.IndexIVFFlat:
    """IVF-Flat trained on ``training``, with ~2*sqrt(n) lists and id lookup by hashtable."""
    dim = training.shape[1]
    nlist = max(1, min(int(NLIST_PER_SQRT_N * math.sqrt(len(training))), len(training) // 39))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = 1234  # reproducible clustering
    index.train(training)
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    index.nprobe = _nprobe(nlist, nprobe)
    return index


def _stored_ids(index: faiss.Index) -> list[int]:
    """List the external ids held by a flat-IDMap2 or IVF index."""
    if isinstance(index, faiss.IndexIDMap2):
        return faiss.vector_to_array(index.id_map).tolist()
    invlists = index.invlists
    ids: list[int] = []
    for list_no in range(index.nlist):
        size = invlists.list_size(list_no)
        if size:
            ids.extend(faiss.rev_swig_ptr(invlists.get_ids(list_no), size).tolist())
    return ids


def _read_manifest(directory: Path, name: str = MANIFEST) -> dict | None:
    """Parse a manifest file, or None when missing or not a JSON object."""
    try:
        manifest = json.loads((directory / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _manifest_matches(manifest: dict, model_id: str, dim: int) -> bool:
    """Whether the manifest describes vectors this caller can use."""
    return (
        manifest.get("schema_version") == SCHEMA_VERSION
        and manifest.get("model_id") == model_id
        and manifest.get("dim") == dim
        and isinstance(manifest.get("index_file"), str)
        and "/" not in manifest["index_file"]
        and manifest.get("kind") in ("flat", "ivf", "ivf-sq", "ivf-sq8")
    )


def _read_verified_index(path: Path, manifest: dict) -> faiss.Index | None:
    """Read the index file only if its checksum, kind, dim and count match the manifest."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != manifest.get("index_sha256"):
        return None
    try:
        # deserialize_index already returns the concrete type; wrapping it in downcast_index
        # leaves a proxy whose owner is garbage-collected (dangling memory, random dim).
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    except (RuntimeError, ValueError, TypeError):
        return None
    expected_type = faiss.IndexIVFFlat if manifest["kind"] == "ivf" else faiss.IndexIDMap2
    if (
        not isinstance(index, expected_type)
        or index.d != manifest["dim"]
        or index.ntotal != manifest.get("count")
    ):
        return None
    return index


def _atomic_write(path: Path, data: bytes) -> Path:
    """Write bytes via a temp file in the same folder, fsync, then os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory: Path) -> None:
    """Persist a rename by fsyncing its folder (a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale_files(directory: Path, keep: str) -> None:
    """Delete index files from earlier saves that the manifest no longer names."""
    for old in directory.glob(f"{_FILE_PREFIX}*.faiss"):
        if old.name != keep:
            old.unlink(missing_ok=True)


def _as_ids(ids: Iterable[int]) -> np.ndarray:
    """Coerce ids to a contiguous int64 array."""
    return np.ascontiguousarray(np.fromiter((int(i) for i in ids), dtype=np.int64))


def _as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    """Coerce to a C-contiguous float32 (n, dim) matrix, checking the dimension."""
    matrix = np.ascontiguousarray(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))
    if matrix.ndim != 2 or (matrix.size and matrix.shape[1] != dim):
        raise ValueError(f"expected vectors of dimension {dim}, got shape {matrix.shape}")
    return matrix

