"""Issue 13: encode cost of another model beside the bundled all-MiniLM-L6-v2, same run.

Usage: .venv/bin/python benchmarks/bench_model.py --model DIR [--threads N] [--limit N]

Both models through ``Embedder(backend="torch")`` (sentence-transformers fp32, batch 32, as
their authors ship them), on the same cores:

* ingest: the train split's first ``--limit`` threads, each thread's texts as the engine
  embeds them (``search.text.thread_texts``: main, title, replies), interleaved in chunks
  of 20 threads so a shared machine's load weighs on both alike; threads/s.
* query: the dev split's 50 questions one at a time as ``QueryEncoder`` encodes a draft
  (``query_texts``: one batch of at most 2 texts), interleaved; p50 and p95 ms.

No cache: everything is encoded in this run. Prints RESULT lines with the ratios.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from common import EVAL_ROOT, require_eval_data

from search.embedder import Embedder
from search.evaluation import load_dataset
from search.text import query_texts, thread_texts
from search.threads import apply_threads, available_cores

CHUNK = 20  # threads per interleaved step


def ingest(embedders: dict[str, Embedder], limit: int) -> dict[str, float]:
    """Threads/s of each embedder on the train split's first ``limit`` threads."""
    docs = load_dataset(EVAL_ROOT / "train2016_part2").thread_docs()[:limit]
    texts = [list(thread_texts(doc).values()) for doc in docs]
    seconds = dict.fromkeys(embedders, 0.0)
    for start in range(0, len(texts), CHUNK):
        chunk = [t for thread in texts[start:start + CHUNK] for t in thread]
        for name, embedder in embedders.items():
            started = time.perf_counter()
            embedder.encode(chunk)
            seconds[name] += time.perf_counter() - started
    rates = {name: len(docs) / spent for name, spent in seconds.items()}
    for name, rate in rates.items():
        print(f"ingest {name}: {len(docs)} threads ({sum(map(len, texts))} texts), "
              f"{rate:.2f} threads/s", flush=True)
    return rates


def queries(embedders: dict[str, Embedder]) -> dict[str, float]:
    """p50 ms of each embedder encoding the dev questions one draft at a time."""
    drafts = [query_texts(q.title, q.text) for q in load_dataset(EVAL_ROOT / "dev2016").queries]
    times: dict[str, list[float]] = {name: [] for name in embedders}
    for texts in drafts:
        unique = list(dict.fromkeys(texts.values()))
        for name, embedder in embedders.items():
            started = time.perf_counter()
            embedder.encode(unique)
            times[name].append(1000 * (time.perf_counter() - started))
    for name, spent in times.items():
        print(f"query {name}: {len(drafts)} drafts, p50 {np.percentile(spent, 50):.1f} ms, "
              f"p95 {np.percentile(spent, 95):.1f} ms", flush=True)
    return {name: float(np.percentile(spent, 50)) for name, spent in times.items()}


def main() -> int:
    """Print ingest and query figures of both models and two RESULT lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the other sentence-transformers model directory")
    parser.add_argument("--threads", type=int, default=available_cores())
    parser.add_argument("--limit", type=int, default=200, help="train threads to encode (max 583)")
    args = parser.parse_args()
    require_eval_data()
    apply_threads(args.threads)
    embedders = {"bundled": Embedder(backend="torch", threads=args.threads),
                 "other": Embedder(args.model, backend="torch", threads=args.threads)}
    for name, embedder in embedders.items():
        embedder.encode(["warm up"])
        print(f"{name}: {embedder.model_id}, dim {embedder.dim}, reads {embedder.max_seq_length} "
              f"word pieces, {embedder.backend}")
    rates, p50 = ingest(embedders, args.limit), queries(embedders)
    load = os.getloadavg()[0]
    print(f"RESULT ingest: other/bundled = {rates['other'] / rates['bundled']:.2f}x the rate "
          f"on {args.threads} thread(s) (load average {load:.1f})")
    print(f"RESULT query p50: other/bundled = {p50['other'] / p50['bundled']:.2f}x the time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
