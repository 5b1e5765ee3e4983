"""Print the SemEval-2016 Task 3 (subtask B) table: dense, lexical and hybrid, both protocols.

Usage: .venv/bin/python benchmarks/eval_semeval.py [--split dev2016 ...] [--ablation]

Reads the evaluation data from ../shared/eval/semeval2016-task3-qq (never copied
into the repository). Figures x100. Cite Nakov et al. (2016) with these numbers.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search.embedder import Embedder  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.evaluation import evaluate_engine, format_table, load_dataset  # noqa: E402

EVAL_ROOT = (REPO / ".." / "shared" / "eval" / "semeval2016-task3-qq").resolve()
SPLITS = ("dev2016", "train2016_part2")


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
    if not EVAL_ROOT.is_dir():
        print(f"evaluation data not found at {EVAL_ROOT}", file=sys.stderr)
        return 2
    embedder = Embedder()
    for split in args.split or SPLITS:
        dataset = load_dataset(EVAL_ROOT / split)
        started = time.perf_counter()
        engine = build_engine(embedder, dataset)
        indexed = time.perf_counter() - started
        results = evaluate_engine(engine, dataset)
        print(format_table(results, title=f"{split} ({len(dataset.threads)} threads, indexed in {indexed:.0f} s)"))
        print()
        if args.ablation:
            from ablation import print_ablation  # benchmarks/ablation.py

            print_ablation(embedder, dataset)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
