"""Shared helpers for the benchmark scripts: data location and an on-disk encoding cache."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# ../shared beside the main checkout; a worktree under /work/wt/NAME finds it two levels up.
EVAL_ROOT = next((p.resolve() for p in (
    Path(os.environ.get("HEADSTART_EVAL_ROOT", REPO / ".." / "shared" / "eval" / "semeval2016-task3-qq")),
    REPO / ".." / ".." / "shared" / "eval" / "semeval2016-task3-qq") if p.is_dir()),
    (REPO / ".." / "shared" / "eval" / "semeval2016-task3-qq").resolve())
SPLITS = ("dev2016", "train2016_part2")
CACHE_DIR = Path(
    os.environ.get("HEADSTART_BENCH_CACHE", Path(tempfile.gettempdir()) / "headstart-bench-cache")
)
# One in-memory table per cache file: two encoders over the same model (eval_variants.py has
# one for numpy baselines and one inside the engine) each saved only their own table, so the
# last save dropped the other's new vectors and a rerun encoded them again.
_TABLES: dict[Path, dict[str, np.ndarray]] = {}


def require_eval_data() -> None:
    """Exit with a clear message when the evaluation data is absent."""
    if not EVAL_ROOT.is_dir():
        raise SystemExit(f"evaluation data not found at {EVAL_ROOT}")


class CachedEncoder:
    """Encode texts with an Embedder, keeping vectors on disk by (model id, encoder, text digest)."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        tag = hashlib.sha256(encoder_tag(embedder).encode()).hexdigest()[:12]
        self.path = CACHE_DIR / f"vectors-{tag}.npz"
        if self.path not in _TABLES:
            _TABLES[self.path] = {}
            if self.path.is_file():
                with np.load(self.path) as data:
                    _TABLES[self.path] = {key: data[key] for key in data.files}
        self.vectors: dict[str, np.ndarray] = _TABLES[self.path]

    def encode(self, texts: list[str], max_tokens: int | None = None) -> np.ndarray:
        """Vectors for ``texts`` (n, dim), encoding only the ones not cached yet (a text
        cut to ``max_tokens`` word pieces is cached apart from the whole text)."""
        keys = [_key(t, max_tokens) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self.vectors))
        if missing:
            for text, vector in zip(missing, self.embedder.encode(missing, max_tokens)):
                self.vectors[_key(text, max_tokens)] = vector
            self._save()
        if not texts:
            return np.zeros((0, self.embedder.dim), np.float32)
        return np.stack([self.vectors[k] for k in keys])

    def _save(self) -> None:
        """Write the cache (a scratch file outside the repository)."""
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self.vectors)
        os.replace(tmp, self.path)


class CachedEmbedder:
    """An Embedder stand-in for SearchEngine that reads and fills the on-disk cache."""

    def __init__(self, embedder) -> None:
        self._cache = CachedEncoder(embedder)
        self.model_id = embedder.model_id
        self.dim = embedder.dim

    def encode(self, texts: list[str], max_tokens: int | None = None) -> np.ndarray:
        """Vectors for ``texts``, encoded once ever per (model, text, window)."""
        return self._cache.encode(list(texts), max_tokens)


def encoder_tag(embedder) -> str:
    """What a cached vector depends on: the model id, and for an ONNX encoder (same model id:
    the forum keeps its stored vectors) the variant and its export version."""
    backend = getattr(embedder, "backend", "torch")
    if backend == "torch":
        return embedder.model_id  # the tag caches were written under before encoders existed
    from search.onnx_encoder import EXPORT_VERSION

    return f"{embedder.model_id}|{backend}|e{EXPORT_VERSION}"


def _key(text: str, max_tokens: int | None) -> str:
    """The cache key of a text's vector (the whole text: its digest, as cached before)."""
    return hashlib.sha256((f"{max_tokens}\0{text}" if max_tokens else text).encode()).hexdigest()
