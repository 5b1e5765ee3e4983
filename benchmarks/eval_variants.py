"""Robustness to poor titles: shipped engine vs the plain model vs the previous recipe.

Usage: .venv/bin/python benchmarks/eval_variants.py [--split S ...] [--variant V ...] [--model DIR]

For each split and each variant of it (``search.variants``: original, bodies-only,
titles-only, generic-titles), both protocols (rerank MAP, retrieval nDCG@10):

* plain  = the model (default: the bundled all-MiniLM-L6-v2) on title + body, cosine
  (the dataset README's baseline);
* before = the recipe shipped before issue 13 (t2: title vectors at 0.5 on both
  sides whatever the title says, replies 0.75), emulated with numpy;
* shipped = ``SearchEngine(EngineConfig())`` in hybrid mode: the real code path.

All three use the same model, through ``Embedder`` with torch fp32 (``--model DIR``: another
sentence-transformers folder, same recipe and weights). Encodings are cached outside the
repository (see common.py). Figures x100.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from common import EVAL_ROOT, SPLITS, CachedEmbedder, CachedEncoder, require_eval_data

from search.engine import SearchEngine
from search.evaluation import evaluate, evaluate_engine, load_dataset, metric
from search.fusion import combine_vectors
from search.lexical import BM25Index
from search.text import join_title_body, lexical_text, replies_text
from search.variants import VARIANTS, make_variant, plain_baseline, vector_ranker

PREVIOUS = {"main": 1.0, "replies": 0.75, "title": 0.5}  # recipe t2, before issue 13


def previous_run(enc: CachedEncoder, dataset):
    """run_query for the pre-issue-13 engine (recipe t2, hybrid, z-score fusion w=0.15)."""
    th = dataset.threads
    ids = [t.external_id for t in th]
    labels = [(t.category or "").split() for t in th]
    fields = {
        "main": enc.encode([" ".join([join_title_body(t.title, t.body, 190 - len(c)), *c]) for t, c in zip(th, labels)]),
        "title": enc.encode([t.title for t in th]),
        "replies": enc.encode([replies_text(t.replies) for t in th]),
    }
    vectors = np.stack([combine_vectors({f: v[i] for f, v in fields.items()}, PREVIOUS) for i in range(len(th))])
    qmain = enc.encode([join_title_body(q.title, q.text) for q in dataset.queries])
    qtitle = enc.encode([q.title for q in dataset.queries])
    qvec = {q.qid: combine_vectors({"main": m, "title": t}, {"main": 1.0, "title": 0.5})
            for q, m, t in zip(dataset.queries, qmain, qtitle)}
    bm25 = BM25Index()
    for i, doc in enumerate(dataset.thread_docs()):
        bm25.upsert(i, lexical_text(doc))
    return vector_ranker(ids, vectors, lambda q: qvec[q.qid], bm25)


def figures(results) -> tuple[float, float]:
    """(rerank MAP, retrieval nDCG@10) x100 of a one-mode result list."""
    mode = results[0].mode
    return 100 * metric(results, "rerank", mode, "MAP"), 100 * metric(results, "retrieval", mode, "nDCG@10")


def measure(embedder, dataset, shipped_embedder=None) -> dict[str, tuple[float, float]]:
    """plain / before / shipped figures for one (variant of a) split; the shipped engine
    encodes with ``shipped_embedder`` when given (plain and before stay on ``embedder``)."""
    enc = CachedEncoder(embedder)
    engine = SearchEngine(CachedEmbedder(shipped_embedder or embedder))
    engine.upsert_many(dataset.thread_docs())
    return {
        "plain": figures(evaluate(plain_baseline(enc.encode, dataset), dataset, modes=("plain",))),
        "before": figures(evaluate(previous_run(enc, dataset), dataset, modes=("before",))),
        "shipped": figures(evaluate_engine(engine, dataset, modes=("hybrid",))),
    }


def main() -> int:
    """Print the split x variant table and one RESULT line."""
    from search.embedder import Embedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", choices=SPLITS, help="default: both")
    parser.add_argument("--variant", action="append", choices=VARIANTS, help="default: all")
    parser.add_argument("--model", help="another sentence-transformers model directory (default: bundled)")
    parser.add_argument("--encoder", choices=("torch", "onnx-int8"), default="torch",
                        help="the shipped engine's encoder (plain and before stay torch fp32); "
                             "the forum's default is onnx-int8")
    args = parser.parse_args()
    require_eval_data()
    embedder = Embedder(args.model)
    shipped = Embedder(args.model, backend=args.encoder) if args.encoder != "torch" else None
    print(f"model: {embedder.model_id}, dim {embedder.dim}, reads {embedder.max_seq_length} word "
          f"pieces, plain and before: {embedder.backend}, shipped: "
          f"{(shipped or embedder).backend}\n")
    print("| split | variant | plain MAP | plain nDCG@10 | before MAP | before nDCG@10 "
          "| **shipped MAP** | **shipped nDCG@10** | shipped − plain |")
    print("|---|---|---|---|---|---|---|---|---|")
    wins, cells = 0, 0
    for split in args.split or SPLITS:
        base = load_dataset(EVAL_ROOT / split)
        for variant in args.variant or VARIANTS:
            started = time.perf_counter()
            f = measure(embedder, make_variant(base, variant), shipped)
            print(f"{split} {variant}: {time.perf_counter() - started:.0f} s", file=sys.stderr,
                  flush=True)
            (pm, pn), (bm, bn), (sm, sn) = f["plain"], f["before"], f["shipped"]
            wins += (sm >= pm) + (sn >= pn)
            cells += 2
            print(f"| {split} | {variant} | {pm:.2f} | {pn:.2f} | {bm:.2f} | {bn:.2f} "
                  f"| **{sm:.2f}** | **{sn:.2f}** | {sm - pm:+.2f} / {sn - pn:+.2f} |", flush=True)
    print(f"\nRESULT shipped >= plain {embedder.model_id} in {wins}/{cells} (split, variant, protocol) cells")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
