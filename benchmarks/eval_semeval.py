"""Print the SemEval-2016 Task 3 (subtask B) table: dense, lexical and hybrid, both protocols.

Usage: .venv/bin/python benchmarks/eval_semeval.py [--split dev2016 ...] [--ablation]

Runs the real code path: every thread goes through SearchEngine.upsert_many
(encoding included) and every query through SearchEngine.similar.

Reads the evaluation data from ../shared/eval/semeval2016-task3-qq (never copied
into the repository). Figures x100. Cite Nakov et al. (2016) with these numbers.
"""

from __future__ import annotations

import argparse
import time

from common import EVAL_ROOT, SPLITS, require_eval_data

from search.embedder import Embedder
from search.engine import SearchEngine
from search.evaluation import evaluate_engine, format_table, load_dataset


def build_engine(embedder: Embedder, dataset, config=None) -> SearchEngine:
    """Index every thread of the split in a fresh engine (ids 1..n)."""
    engine = SearchEngine(embedder, config)
    engine.upsert_many(dataset.thread_docs())
    return engine


def main() -> int:
    """Evaluate the default engine on each split and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", choices=SPLITS, help="default: both splits")
    parser.add_argument("--ablation", action="store_true", help="also print the thread-text ablation")
    args = parser.parse_args()
    require_eval_data()
    embedder = Embedder()
    for split in args.split or SPLITS:
        dataset = load_dataset(EVAL_ROOT / split)
        started = time.perf_counter()
        engine = build_engine(embedder, dataset)
        indexed = time.perf_counter() - started
        results = evaluate_engine(engine, dataset)
        print(
            format_table(
                results, title=f"{split} ({len(dataset.threads)} threads, indexed in {indexed:.0f} s)"
            )
        )
        print()
        if args.ablation:
            from ablation import print_ablation  # benchmarks/ablation.py

            print_ablation(embedder, dataset)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
