"""Issue 9: the shipped encoder (int8 ONNX) vs torch fp32: quality on SemEval and ingest rate.

Usage: .venv/bin/python benchmarks/bench_encoder.py [--split S ...] [--skip-quality] [--skip-ingest]

* quality: for each split, a fresh ``SearchEngine`` per encoder (the real code path:
  ``upsert_many`` encodes every thread, ``similar`` encodes every query), hybrid and
  dense, rerank MAP and retrieval nDCG@10. Target: the ONNX encoder within 0.5 points
  of torch on both splits, both figures (hybrid).
* ingest: the train split's thread texts (``search.text.thread_texts``: main, title,
  replies) encoded by plain ``SentenceTransformer.encode`` fp32 (batch 32) and by the
  shipped ``Embedder(backend="auto")``, same texts, same thread count, same run,
  interleaved in chunks of 200 texts. Target ≥ 3×.

No cache: every figure is encoded in this run. Prints RESULT lines with pass/fail.
"""

from __future__ import annotations

import argparse
import os
import time

from common import EVAL_ROOT, SPLITS, require_eval_data

from search.embedder import Embedder
from search.engine import SearchEngine
from search.evaluation import evaluate_engine, load_dataset, metric
from search.text import thread_texts
from search.threads import apply_threads, available_cores

BOUND = 0.5  # points of MAP / nDCG@10 the faster encoder may lose
INGEST_TARGET = 3.0
ENCODERS = ("torch", "onnx-int8")


def quality(embedders: dict[str, Embedder], splits) -> bool:
    """Print the quality table; True when every ONNX figure is within BOUND of torch's."""
    print("| split | encoder | hybrid rerank MAP | hybrid retrieval nDCG@10 "
          "| dense rerank MAP | dense retrieval nDCG@10 | Δ hybrid MAP / nDCG@10 |")
    print("|---|---|---|---|---|---|---|")
    ok = True
    for split in splits:
        dataset = load_dataset(EVAL_ROOT / split)
        base = None
        for name, embedder in embedders.items():
            engine = SearchEngine(embedder)
            engine.upsert_many(dataset.thread_docs())
            results = evaluate_engine(engine, dataset, modes=("dense", "hybrid"))
            row = [100 * metric(results, p, m, k) for m in ("hybrid", "dense")
                   for p, k in (("rerank", "MAP"), ("retrieval", "nDCG@10"))]
            base = base or row
            delta = (row[0] - base[0], row[1] - base[1])
            ok &= name == "torch" or min(delta) >= -BOUND
            cells = " | ".join(f"{v:.2f}" for v in row)
            print(f"| {split} | {name} | {cells} | {delta[0]:+.2f} / {delta[1]:+.2f} |", flush=True)
    print(f"RESULT quality: onnx-int8 within {BOUND} points of torch fp32 (hybrid MAP and nDCG@10, "
          f"{', '.join(splits)}): {'PASS' if ok else 'FAIL'}")
    return ok


def ingest(shipped: Embedder, threads: int) -> bool:
    """Print texts/s of plain SentenceTransformer.encode fp32 and of the shipped encoder."""
    from sentence_transformers import SentenceTransformer

    dataset = load_dataset(EVAL_ROOT / "train2016_part2")
    texts = [t for doc in dataset.thread_docs() for t in thread_texts(doc).values()]
    plain = SentenceTransformer(str(shipped_model_dir()), device="cpu", local_files_only=True)
    apply_threads(threads)  # both measured on the same cores
    # Interleaved in chunks: a shared machine's load changes during the run, and should
    # weigh on both encoders alike.
    encoders = {"sentence-transformers fp32": lambda chunk: plain.encode(
        chunk, batch_size=32, normalize_embeddings=True, show_progress_bar=False),
        f"shipped {shipped.backend}": shipped.encode}
    seconds = dict.fromkeys(encoders, 0.0)
    for start in range(0, len(texts), 200):
        for name, encode in encoders.items():
            started = time.perf_counter()
            encode(texts[start:start + 200])
            seconds[name] += time.perf_counter() - started
    rates = {name: len(texts) / spent for name, spent in seconds.items()}
    for name, rate in rates.items():
        print(f"ingest {name}: {len(texts)} texts, {rate:.1f} texts/s", flush=True)
    ratio = rates[f"shipped {shipped.backend}"] / rates["sentence-transformers fp32"]
    print(f"RESULT ingest: shipped/plain = {ratio:.2f}x on {threads} thread(s), target >= "
          f"{INGEST_TARGET}x: {'PASS' if ratio >= INGEST_TARGET else 'FAIL'} "
          f"(load average {os.getloadavg()[0]:.1f})")
    return ratio >= INGEST_TARGET


def shipped_model_dir():
    """The bundled model folder."""
    from search.embedder import default_model_path

    return default_model_path()


def main() -> int:
    """Run the selected parts and print RESULT lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", choices=SPLITS, help="default: both")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--threads", type=int, default=available_cores())
    parser.add_argument("--encoder", action="append", choices=ENCODERS,
                        help="default: both (torch rows are deterministic across runs)")
    args = parser.parse_args()
    require_eval_data()
    apply_threads(args.threads)
    embedders = {name: Embedder(backend=name, threads=args.threads)
                 for name in args.encoder or ENCODERS}
    print(f"encoders: {[e.backend for e in embedders.values()]}, {args.threads} thread(s), "
          f"load average {os.getloadavg()[0]:.1f}")
    ok = True
    if not args.skip_quality:
        ok &= quality(embedders, args.split or SPLITS)
    if not args.skip_ingest:
        ok &= ingest(embedders.get("onnx-int8") or Embedder(backend="onnx-int8",
                                                             threads=args.threads), args.threads)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
