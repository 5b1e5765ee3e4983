"""Evaluate "similar threads" ranking on SemEval-2016 Task 3 subtask B style folders.

Two protocols (see the dataset README):

* rerank: rank each query's candidates (ids mapped through ``dedup_map.tsv``);
  MAP over the top 10 with a query without relevant candidate scoring 0, MRR, P@1.
* retrieval: rank the whole deduplicated corpus; queries without a relevant
  thread are skipped; nDCG@10 (graded), MAP@100, MRR@10, Recall@10, P@1.

``evaluate`` only needs a ``run_query`` callable, so the same numbers can be
produced through the forum's HTTP/API path or directly on a ``SearchEngine``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from search import metrics
from search.text import ThreadDoc

MODES = ("dense", "lexical", "hybrid")
RERANK_DEPTH = 10
RETRIEVAL_DEPTH = 100


@dataclass(frozen=True)
class Query:
    """A new question: its id, title and body."""

    qid: str
    title: str
    text: str


@dataclass(frozen=True)
class Thread:
    """A corpus thread in Headstart's import format (``threads.jsonl``)."""

    external_id: str
    title: str
    body: str
    category: str | None
    replies: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    """One split: queries, deduplicated threads, graded qrels, per-query candidates."""

    name: str
    queries: tuple[Query, ...]
    threads: tuple[Thread, ...]
    qrels: dict[str, dict[str, int]]
    candidates: dict[str, list[str]]

    def thread_docs(self) -> list[ThreadDoc]:
        """Threads as ``ThreadDoc`` with ids 1..n in file order (see ``external_ids``)."""
        return [
            ThreadDoc(i, t.title, t.body, category=t.category, replies=t.replies)
            for i, t in enumerate(self.threads, start=1)
        ]

    def external_ids(self) -> dict[int, str]:
        """Map the integer ids of ``thread_docs`` back to external thread ids."""
        return {i: t.external_id for i, t in enumerate(self.threads, start=1)}


# run_query(query, mode, candidate external ids or None) -> external ids, best first
RunQuery = Callable[[Query, str, "list[str] | None"], Sequence[str]]


@dataclass(frozen=True)
class EvalResult:
    """Averaged metrics (fractions in [0, 1]) of one mode under one protocol."""

    protocol: str
    mode: str
    n_queries: int
    metrics: dict[str, float]


def _read_jsonl(path: Path) -> list[dict]:
    """Read one JSON object per non-empty line."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _read_tsv(path: Path) -> list[list[str]]:
    """Read a tab-separated file, skipping its header row."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter="\t"))[1:]


def load_dataset(folder: str | Path) -> Dataset:
    """Load a split folder (queries, threads, qrels_dedup, candidates, dedup_map).

    Args:
        folder: e.g. ``../shared/eval/semeval2016-task3-qq/dev2016``.

    Returns:
        The dataset, candidates already mapped to canonical thread ids.
    """
    folder = Path(folder)
    queries = tuple(
        Query(q["_id"], q.get("title", ""), q.get("text", "")) for q in _read_jsonl(folder / "queries.jsonl")
    )
    threads = tuple(
        Thread(
            t["external_id"],
            t["title"],
            t.get("body", ""),
            t.get("category"),
            tuple(r["body"] for r in t.get("replies", [])),
        )
        for t in _read_jsonl(folder / "threads.jsonl")
    )
    corpus_ids = {d["_id"] for d in _read_jsonl(folder / "corpus_dedup.jsonl")}
    if corpus_ids != {t.external_id for t in threads}:
        raise ValueError(f"{folder}: threads.jsonl and corpus_dedup.jsonl hold different threads")
    qrels: dict[str, dict[str, int]] = {}
    for qid, doc, grade in _read_tsv(folder / "qrels_dedup.tsv"):
        qrels.setdefault(qid, {})[doc] = int(grade)
    return Dataset(folder.name, queries, threads, qrels, _load_candidates(folder))


def _load_candidates(folder: Path) -> dict[str, list[str]]:
    """Candidates per query in ``ir_rank`` order, mapped to canonical ids, deduplicated."""
    canonical = dict(_read_tsv(folder / "dedup_map.tsv"))
    ranked: dict[str, list[tuple[int, str]]] = {}
    for qid, doc, rank in _read_tsv(folder / "candidates.tsv"):
        ranked.setdefault(qid, []).append((int(rank), canonical.get(doc, doc)))
    return {qid: list(dict.fromkeys(doc for _, doc in sorted(rows))) for qid, rows in ranked.items()}


def rerank_metrics(
    ranking: Sequence[str], candidates: Sequence[str], qrels: dict[str, int]
) -> dict[str, float]:
    """Score one query under the rerank protocol.

    Args:
        ranking: The system's order; candidates it left out are appended in
            their original order, ids outside the candidates are ignored.
        candidates: The query's candidate ids.
        qrels: The query's judgements.

    Returns:
        ``{"MAP": AP@10, "MRR": RR@10, "P@1": ...}``.
    """
    allowed = set(candidates)
    ordered = list(dict.fromkeys([d for d in ranking if d in allowed] + list(candidates)))
    n_relevant = sum(1 for d in candidates[:RERANK_DEPTH] if qrels.get(d, 0) > 0)
    return {
        "MAP": metrics.average_precision(ordered, qrels, k=RERANK_DEPTH, n_relevant=n_relevant),
        "MRR": metrics.reciprocal_rank(ordered, qrels, k=RERANK_DEPTH),
        "P@1": metrics.precision_at_1(ordered, qrels),
    }


def retrieval_metrics(ranking: Sequence[str], qrels: dict[str, int]) -> dict[str, float]:
    """Score one query under the retrieval protocol (whole corpus).

    Args:
        ranking: The system's order over the corpus.
        qrels: The query's judgements (at least one relevant).

    Returns:
        ``{"nDCG@10", "MAP", "MRR", "R@10", "P@1"}``.
    """
    ranking = list(dict.fromkeys(ranking))
    return {
        "nDCG@10": metrics.ndcg(ranking, qrels, k=10),
        "MAP": metrics.average_precision(ranking, qrels, k=RETRIEVAL_DEPTH),
        "MRR": metrics.reciprocal_rank(ranking, qrels, k=10),
        "R@10": metrics.recall(ranking, qrels, k=10),
        "P@1": metrics.precision_at_1(ranking, qrels),
    }


def evaluate(
    run_query: RunQuery,
    dataset: Dataset,
    modes: Sequence[str] = MODES,
    protocols: Sequence[str] = ("rerank", "retrieval"),
) -> list[EvalResult]:
    """Run every query through ``run_query`` and average the metrics.

    Args:
        run_query: ``(query, mode, candidate_ids or None) -> ranked external ids``;
            candidate ids are given under the rerank protocol, None under retrieval.
        dataset: A loaded split.
        modes: Retrieval modes to compare ("dense", "lexical", "hybrid").
        protocols: "rerank" and/or "retrieval".

    Returns:
        One ``EvalResult`` per (protocol, mode).
    """
    results = []
    for protocol in protocols:
        for mode in modes:
            per_query = [_score_query(run_query, dataset, q, mode, protocol) for q in dataset.queries]
            kept = [m for m in per_query if m is not None]
            averaged = {name: metrics.mean([m[name] for m in kept]) for name in (kept[0] if kept else {})}
            results.append(EvalResult(protocol, mode, len(kept), averaged))
    return results


def _score_query(
    run_query: RunQuery, dataset: Dataset, query: Query, mode: str, protocol: str
) -> dict | None:
    """Metrics of one query, or None when the protocol skips it."""
    qrels = dataset.qrels.get(query.qid, {})
    if protocol == "rerank":
        candidates = dataset.candidates.get(query.qid, [])
        return rerank_metrics(run_query(query, mode, list(candidates)), candidates, qrels)
    if not any(grade > 0 for grade in qrels.values()):
        return None
    return retrieval_metrics(run_query(query, mode, None), qrels)


def evaluate_engine(engine, dataset: Dataset, modes: Sequence[str] = MODES, **kwargs) -> list[EvalResult]:
    """Evaluate a ``SearchEngine`` that holds ``dataset.thread_docs()`` (ids 1..n).

    Args:
        engine: A ``search.engine.SearchEngine`` with the dataset's threads upserted.
        dataset: The split.
        modes: Modes to compare; "dense"/"hybrid" need an embedder.
        **kwargs: Passed to ``evaluate`` (e.g. ``protocols``).

    Returns:
        As ``evaluate``.
    """
    to_external = dataset.external_ids()
    to_internal = {ext: i for i, ext in to_external.items()}

    def run_query(query: Query, mode: str, candidates: list[str] | None) -> list[str]:
        """Rank through the engine, translating ids both ways."""
        restrict = (
            [to_internal[c] for c in candidates if c in to_internal] if candidates is not None else None
        )
        k = len(restrict) if restrict is not None else RETRIEVAL_DEPTH
        hits = engine.similar(query.title, query.text, k=k, candidate_ids=restrict, mode=mode)
        return [to_external[h.thread_id] for h in hits]

    return evaluate(run_query, dataset, modes, **kwargs)


_COLUMNS = (
    ("rerank", "MAP"),
    ("rerank", "MRR"),
    ("rerank", "P@1"),
    ("retrieval", "nDCG@10"),
    ("retrieval", "MAP"),
    ("retrieval", "MRR"),
    ("retrieval", "R@10"),
    ("retrieval", "P@1"),
)


def format_table(results: Sequence[EvalResult], title: str | None = None) -> str:
    """Render results as a Markdown table, one row per mode, figures x100.

    Args:
        results: Output of ``evaluate``.
        title: Optional heading line placed above the table.

    Returns:
        The table as text.
    """
    by_key = {(r.protocol, r.mode): r for r in results}
    modes = list(dict.fromkeys(r.mode for r in results))
    columns = [(p, m) for p, m in _COLUMNS if any(r.protocol == p for r in results)]
    header = "| mode | " + " | ".join(f"{p} {m}" for p, m in columns) + " |"
    lines = [f"**{title}**", ""] if title else []
    lines += [header, "|" + "---|" * (len(columns) + 1)]
    for mode in modes:
        cells = [_cell(by_key.get((p, mode)), m) for p, m in columns]
        lines.append(f"| {mode} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(result: EvalResult | None, metric: str) -> str:
    """One table cell: the metric x100 with two decimals, or a dash."""
    if result is None or metric not in result.metrics:
        return "-"
    return f"{100 * result.metrics[metric]:.2f}"


def metric(results: Sequence[EvalResult], protocol: str, mode: str, name: str) -> float:
    """Look up one averaged metric (fraction) in ``evaluate``'s output."""
    for r in results:
        if r.protocol == protocol and r.mode == mode:
            return r.metrics[name]
    raise KeyError((protocol, mode, name))
