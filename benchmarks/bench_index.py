"""Approximate (IVF-Flat, as VectorIndex builds it) vs exact flat search on the same vectors.

Usage: .venv/bin/python benchmarks/bench_index.py [--synthetic N]

Vectors: all-MiniLM-L6-v2 embeddings of every title, body, reply and reply
sentence of the SemEval threads (~28k, encoded once and cached outside the
repo), or N synthetic clustered vectors. 300 held-out vectors are the queries.
Reports recall@10 against exact search and latency *ratios* measured in the
same run (absolute times depend on the machine and its load). HNSW is shown
as a reference: it is faster at equal recall but cannot delete vectors.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import time

import faiss
import numpy as np
from common import EVAL_ROOT, SPLITS, CachedEncoder, require_eval_data

from search.index import VectorIndex

K = 10
N_QUERIES = 300


def real_vectors() -> np.ndarray:
    """Embeddings of the SemEval thread texts (titles, bodies, replies, reply sentences)."""
    from search.embedder import Embedder

    require_eval_data()
    texts: list[str] = []
    for split in SPLITS:
        with open(EVAL_ROOT / split / "threads.jsonl", encoding="utf-8") as fh:
            for line in fh:
                thread = json.loads(line)
                texts += [thread["title"], thread["body"]]
                for reply in thread["replies"]:
                    sentences = [s for s in re.split(r"(?<=[.!?])\s+", reply["body"]) if len(s.split()) >= 4]
                    texts += [reply["body"], *(sentences if len(sentences) > 1 else [])]
    texts = [t for t in dict.fromkeys(x.strip() for x in texts) if t]
    return CachedEncoder(Embedder()).encode(texts)


def synthetic_vectors(n: int, dim: int = 384) -> np.ndarray:
    """Unit vectors around random topic directions."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((max(n // 30, 1), dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = centres[rng.integers(0, len(centres), n)] + rng.standard_normal((n, dim)).astype(
        np.float32
    ) / math.sqrt(dim)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def single_query_ms(search, queries: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Median latency of one-at-a-time queries (the forum's case), and the ids found."""
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        found.append(search(q[None, :]))
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times), found


def batch_qps(search, queries: np.ndarray) -> float:
    """Queries per second when all queries are sent in one batch (best of 3)."""
    best = min(_timed(search, queries) for _ in range(3))
    return len(queries) / best


def _timed(search, queries: np.ndarray) -> float:
    """Seconds for one call."""
    started = time.perf_counter()
    search(queries)
    return time.perf_counter() - started


def recall(truth: list[np.ndarray], found: list[np.ndarray]) -> float:
    """Mean recall@K of ``found`` against ``truth``."""
    return float(np.mean([len(set(t.tolist()) & set(f.tolist())) / K for t, f in zip(truth, found)]))


def main() -> int:
    """Run the comparison and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, metavar="N", help="use N synthetic vectors instead")
    args = parser.parse_args()
    vectors = synthetic_vectors(args.synthetic) if args.synthetic else real_vectors()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(vectors))
    queries, data = vectors[order[:N_QUERIES]], vectors[order[N_QUERIES:]]
    ids = np.arange(len(data), dtype=np.int64) + 1

    built = build_all(data, ids)
    default_threads = faiss.omp_get_max_threads()
    print(f"{len(data)} vectors of dimension {data.shape[1]}, {N_QUERIES} queries, k={K}")
    print(f"faiss {faiss.__version__}")
    for threads in sorted({1, default_threads}):
        faiss.omp_set_num_threads(threads)
        print(f"\n{threads} OpenMP thread(s):\n")
        print_table(measure(built, queries))
    faiss.omp_set_num_threads(default_threads)
    return 0


def build_all(data: np.ndarray, ids: np.ndarray) -> list[tuple[str, float, object]]:
    """Build exact, IVF (as VectorIndex does above its threshold) and HNSW references."""
    built = []
    for name, threshold in (("exact IndexIDMap2(IndexFlatIP)", 10**9), ("IVF-Flat (VectorIndex)", 0)):
        started = time.perf_counter()
        index = VectorIndex(data.shape[1], approx_threshold=threshold)
        index.upsert(ids, data)
        if index.nlist:
            name = f"IVF-Flat nlist={index.nlist} nprobe={math.ceil(index.nlist / 3)} (VectorIndex)"
        built.append(
            (name, time.perf_counter() - started, lambda q, index=index: [r[0] for r in index.search(q, K)])
        )
    started = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(data.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.add(data)
    build = time.perf_counter() - started
    for ef in (64, 128):
        params = faiss.SearchParametersHNSW(efSearch=ef)
        search = lambda q, p=params: list(hnsw.search(q, K, params=p)[1] + 1)  # noqa: E731
        built.append((f"HNSW M=32 efSearch={ef} (reference: cannot delete)", build, search))
    return built


def measure(built, queries: np.ndarray) -> list[tuple]:
    """Recall and latency of each index, with ratios to the exact index (first row)."""
    rows, truth, exact_ms, exact_qps = [], None, None, None
    for name, build, search in built:
        ms, found = single_query_ms(lambda q, search=search: search(q)[0], queries)
        qps = batch_qps(search, queries)
        truth = truth if truth is not None else found
        exact_ms, exact_qps = exact_ms or ms, exact_qps or qps
        rows.append((name, build, recall(truth, found), ms, exact_ms / ms, qps, qps / exact_qps))
    return rows


def print_table(rows: list[tuple]) -> None:
    """Markdown table of ``measure``'s rows."""
    print("| index | build s | recall@10 | single query ms (median) | speed-up | batch q/s | speed-up |")
    print("|---|---|---|---|---|---|---|")
    for name, build, rec, ms, ratio, qps, qps_ratio in rows:
        print(
            f"| {name} | {build:.1f} | {rec:.3f} | {ms:.3f} | {ratio:.1f}x | {qps:.0f} | {qps_ratio:.1f}x |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
