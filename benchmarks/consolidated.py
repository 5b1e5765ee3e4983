"""How useful is a consolidated reply's extractive draft? Citations of judged-relevant threads.

Usage: .venv/bin/python benchmarks/consolidated.py [--split dev2016 ...] [--pool 4 10]

For every query of a SemEval-2016 Task 3 split (read from ../shared/eval, never copied here)
the forum's drafting recipe runs: the real SearchEngine (hybrid, shipped config) finds the
`pool` most similar threads, their replies are split into sentences
(search.extractive.split_sentences) and `SENTENCES` quotes are picked by MMR blended with
each thread's closeness, at most `MAX_PER_POST` per reply, never below the similarity
floor, exactly as forum/learning/drafting.py does (the question's own replies aside: a
SemEval query has none). A quote "cites" its
thread. Against the human judgements (qrels: PerfectMatch or Relevant) we report, per query
with at least one relevant thread in its pool, averaged:

* quotes from relevant threads (%): how much of the draft a reader can trust to be on topic;
* relevant cited / relevant in pool (%): how many of the useful threads the draft credits;
* cited threads per draft.

Same-run baselines on the same pools: `lead` (the first sentence of each source in
retrieval order, then the second…: what a draft without a model would do), `random`
(seeded), and MMR variants (relevance only; no centrality term).

Cite Nakov et al. (2016) with these figures. Figures x100 except counts.
"""

from __future__ import annotations

import argparse
import random
import time
from statistics import mean

import numpy as np
from common import EVAL_ROOT, SPLITS, CachedEncoder, require_eval_data

from search.embedder import Embedder
from search.engine import SearchEngine
from search.evaluation import load_dataset
from search.extractive import lead_select, mmr_select, split_sentences
from search.text import join_title_body

SENTENCES = 8  # forum/learning/drafting.py SENTENCES
MAX_PER_POST = 2  # forum/learning/drafting.py MAX_PER_POST


class CachingEmbedder:
    """An Embedder whose encodings are cached on disk (the engine only needs these three)."""

    def __init__(self, embedder: Embedder) -> None:
        self.cache = CachedEncoder(embedder)
        self.model_id, self.dim = embedder.model_id, embedder.dim

    def encode(self, texts: list[str], max_tokens: int | None = None) -> np.ndarray:
        """Vectors for texts, encoding only new ones."""
        return self.cache.encode(list(texts), max_tokens)


def pools(engine: SearchEngine, dataset, size: int) -> dict[str, dict[str, float]]:
    """The `size` threads the engine finds for each query: {external id: closeness}, best first."""
    ext = dataset.external_ids()
    return {q.qid: {ext[h.thread_id]: float(h.dense) for h in engine.similar(q.title, q.text, k=size)}
            for q in dataset.queries}


def sentence_pool(threads: dict, pool: list[str]):
    """(thread id, reply index, sentence) for every quotable sentence of the pool's replies."""
    return [(tid, i, s) for tid in pool for i, reply in enumerate(threads[tid].replies)
            for s in split_sentences(reply)]


MIN_SIMILARITY = 0.2  # forum/learning/drafting.py MIN_SIMILARITY
# (diversity, centrality, weight of the thread's closeness, similarity floor) of each variant.
VARIANTS = {
    "**mmr + thread closeness (shipped)**": (0.5, 0.3, 0.5, MIN_SIMILARITY),
    "shipped without the similarity floor": (0.5, 0.3, 0.5, 0.0),
    "shipped with less diversity (0.3)": (0.3, 0.3, 0.5, MIN_SIMILARITY),
    "shipped without centrality": (0.5, 0.0, 0.5, MIN_SIMILARITY),
    "mmr without thread closeness": (0.5, 0.3, 0.0, MIN_SIMILARITY),
    "sentence relevance only (no diversity, centrality, closeness)": (0.0, 0.0, 0.0, 0.0),
}
METHODS = (*VARIANTS, "lead", "random")


def select(method: str, qvec, svecs, groups, threads_of, closeness, rng) -> list[int]:
    """Indices of the picked sentences under one selection method."""
    if method == "lead":
        return lead_select(threads_of, SENTENCES)
    if method == "random":
        return rng.sample(range(len(groups)), min(SENTENCES, len(groups)))
    diversity, centrality, weight, floor = VARIANTS[method]
    return mmr_select(qvec, svecs, SENTENCES, diversity=diversity, centrality=centrality,
                      max_per_group=MAX_PER_POST, groups=groups,
                      prior=np.array([closeness[t] for t in threads_of]), prior_weight=weight,
                      min_similarity=floor)


def evaluate(dataset, enc: CachingEmbedder, pool_of: dict[str, dict[str, float]]) -> dict[str, dict]:
    """Average the three figures per method over queries with a relevant thread in the pool."""
    threads = {t.external_id: t for t in dataset.threads}
    rng = random.Random(2016)
    scores: dict[str, dict[str, list]] = {m: {"quotes": [], "recall": [], "cited": []}
                                          for m in METHODS}
    for q in dataset.queries:
        qrels, pool = dataset.qrels.get(q.qid, {}), pool_of[q.qid]
        relevant = {t for t in pool if qrels.get(t, 0) > 0}
        sentences = sentence_pool(threads, pool)
        if not relevant or not sentences:
            continue
        qvec = enc.encode([join_title_body(q.title, q.text)])[0]
        svecs = enc.encode([s for _, _, s in sentences])
        groups = [(tid, i) for tid, i, _ in sentences]
        for method in METHODS:
            picked = select(method, qvec, svecs, groups, [tid for tid, _, _ in sentences], pool, rng)
            cited = [sentences[i][0] for i in picked]
            scores[method]["quotes"].append(sum(t in relevant for t in cited) / len(cited))
            scores[method]["recall"].append(len(relevant & set(cited)) / len(relevant))
            scores[method]["cited"].append(len(set(cited)))
    return {m: {k: mean(v) for k, v in s.items()} | {"n": len(s["quotes"])}
            for m, s in scores.items()}


def print_table(title: str, results: dict[str, dict]) -> None:
    """One Markdown table."""
    n = next(iter(results.values()))["n"]
    print(f"**{title}** ({n} queries with a relevant thread in the pool)\n")
    print("| selection | quotes from relevant threads | relevant threads cited | threads cited |")
    print("|---|---|---|---|")
    for method, r in results.items():
        print(f"| {method} | {100 * r['quotes']:.1f} | {100 * r['recall']:.1f} | {r['cited']:.2f} |")
    print()


def main() -> int:
    """Build the engine per split, draft for every query, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", choices=SPLITS, help="default: both")
    parser.add_argument("--pool", type=int, nargs="+", default=[4, 10],
                        help="similar threads drawn on (the forum uses 4)")
    args = parser.parse_args()
    require_eval_data()
    enc = CachingEmbedder(Embedder())
    for split in args.split or SPLITS:
        dataset = load_dataset(EVAL_ROOT / split)
        started = time.perf_counter()
        engine = SearchEngine(enc)
        engine.upsert_many(dataset.thread_docs())
        for size in args.pool:
            results = evaluate(dataset, enc, pools(engine, dataset, size))
            print_table(f"{split}, {size} similar threads, {SENTENCES} quotes", results)
        print(f"({time.perf_counter() - started:.0f} s)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
