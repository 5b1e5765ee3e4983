"""Fixtures for the search library tests: the real model once per session, a fake one for mechanics."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parents[2]
EVAL_ROOT = (REPO_ROOT / ".." / "shared" / "eval" / "semeval2016-task3-qq").resolve()


class FakeEmbedder:
    """Deterministic bag-of-hashed-words vectors: fast, for index and engine mechanics only."""

    model_id = "fake-hash-embedder"
    dim = 64
    max_seq_length = 256

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str], max_tokens: int | None = None) -> np.ndarray:
        """Hash each lower-cased word into a dimension; L2-normalise (every word: no window)."""
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split() or ["<empty>"]:
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 embedder, loaded (and digest-checked) once per session."""
    from search.embedder import Embedder

    return Embedder()


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    """A fresh fake embedder that records its calls."""
    return FakeEmbedder()


def _dataset(name: str):
    """Load an evaluation split or skip with a clear message when it is absent."""
    from search.evaluation import load_dataset

    folder = EVAL_ROOT / name
    if not (folder / "queries.jsonl").is_file():
        pytest.skip(f"evaluation data not found at {folder} (shared/eval is kept outside the repo)")
    return load_dataset(folder)


@pytest.fixture(scope="session")
def dev_dataset():
    """SemEval-2016 Task 3 dev2016 split."""
    return _dataset("dev2016")


@pytest.fixture(scope="session")
def dev_vectors(embedder, dev_dataset):
    """Field vectors of every dev2016 thread, encoded once per session (the slow part)."""
    from search.engine import SearchEngine

    return SearchEngine(embedder).embed_threads(dev_dataset.thread_docs())


@pytest.fixture(scope="session")
def dev_engine(embedder, dev_dataset, dev_vectors):
    """A default-config SearchEngine holding all dev2016 threads (ids 1..n)."""
    from search.engine import SearchEngine

    engine = SearchEngine(embedder)
    engine.upsert_many(dev_dataset.thread_docs(), dev_vectors)
    return engine
