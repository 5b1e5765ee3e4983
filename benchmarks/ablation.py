"""Thread-text and fusion ablation on SemEval-2016 Task 3 (which text to embed, how to fuse).

Usage: .venv/bin/python benchmarks/ablation.py [--split dev2016 ...]

Scores are computed with numpy over cached vectors (encoded once, cached
outside the repo), emulating SearchEngine: thread vector = normalised
weighted sum of field vectors; hybrid = z-scored fusion over the union of
each retriever's top 100 (retrieval) or over the 10 candidates (rerank).
The shipped recipe's row matches `eval_semeval.py` up to float noise.
"""

from __future__ import annotations

import argparse

import numpy as np
from common import EVAL_ROOT, SPLITS, CachedEncoder, require_eval_data

from search.evaluation import load_dataset, rerank_metrics, retrieval_metrics
from search.lexical import BM25Index
from search.metrics import mean
from search.text import join_title_body, replies_text, strip_markdown

POOL = 100


def unit(x: np.ndarray) -> np.ndarray:
    """Row-normalise."""
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def bm25_matrix(dataset, texts: list[str]) -> np.ndarray:
    """BM25 score of every (query, thread) pair, queries as title + body."""
    index = BM25Index()
    for i, text in enumerate(texts):
        index.upsert(i, text)
    rows = []
    for q in dataset.queries:
        scores = index.score(f"{q.title} {q.text}", range(len(texts)))
        rows.append([scores[i] for i in range(len(texts))])
    return np.array(rows)


def zfuse(dense: np.ndarray, lexical: np.ndarray, idx: np.ndarray, w: float) -> np.ndarray:
    """(1 - w) z(dense) + w z(lexical) over the ids ``idx``."""
    z = lambda x: (x - x.mean()) / x.std() if x.std() > 1e-12 else 0 * x  # noqa: E731
    return (1 - w) * z(dense[idx]) + w * z(lexical[idx])


def rrf(dense: np.ndarray, lexical: np.ndarray, idx: np.ndarray, k: int = 60) -> np.ndarray:
    """Reciprocal rank fusion over the ids ``idx``."""
    ranks = lambda x: np.argsort(np.argsort(-x[idx])) + 1  # noqa: E731
    return 1 / (k + ranks(dense)) + 1 / (k + ranks(lexical))


def score(dataset, dense: np.ndarray, lexical: np.ndarray | None, w: float | str) -> tuple[float, float]:
    """(rerank MAP, retrieval nDCG@10) x100; lexical None = dense only, w="rrf" = RRF."""
    ext = [t.external_id for t in dataset.threads]
    pos = {e: i for i, e in enumerate(ext)}
    maps, ndcgs = [], []
    for qi, q in enumerate(dataset.queries):
        qrels = dataset.qrels.get(q.qid, {})
        cands = np.array([pos[c] for c in dataset.candidates[q.qid]])
        maps.append(
            rerank_metrics(_rank(dense[qi], lexical, qi, cands, w, ext), dataset.candidates[q.qid], qrels)[
                "MAP"
            ]
        )
        if any(g > 0 for g in qrels.values()):
            pool = np.argsort(-dense[qi])[:POOL]
            if lexical is not None:
                pool = np.union1d(pool, np.argsort(-lexical[qi])[:POOL])
            ndcgs.append(retrieval_metrics(_rank(dense[qi], lexical, qi, pool, w, ext), qrels)["nDCG@10"])
    return 100 * mean(maps), 100 * mean(ndcgs)


def _rank(dense_row, lexical, qi, idx, w, ext) -> list[str]:
    """External ids of ``idx`` ordered by the chosen score."""
    if lexical is None:
        s = dense_row[idx]
    elif w == "rrf":
        s = rrf(dense_row, lexical[qi], idx)
    else:
        s = zfuse(dense_row, lexical[qi], idx, w)
    return [ext[i] for i in idx[np.argsort(-s, kind="stable")]]


def field_vectors(enc: CachedEncoder, dataset) -> dict[str, np.ndarray]:
    """Every candidate field's vectors for the split's threads, and the query vectors."""
    th = dataset.threads
    cat = [t.category or "" for t in th]
    per_reply = [
        unit(enc.encode([strip_markdown(r) or "." for r in t.replies])) if t.replies else None for t in th
    ]
    return {
        "tb": enc.encode([join_title_body(t.title, t.body) for t in th]),
        "tbc": enc.encode(
            [f"{join_title_body(t.title, t.body, 190 - len(c.split()))} {c}".strip() for t, c in zip(th, cat)]
        ),
        "title": enc.encode([t.title for t in th]),
        "r1": enc.encode([replies_text(t.replies, 1, 190) or t.title for t in th]),
        "r5x60": enc.encode([replies_text(t.replies, 5, 60) or t.title for t in th]),
        "r10x30": enc.encode([replies_text(t.replies, 10, 30) or t.title for t in th]),
        "rmean10": unit(np.stack([p.mean(0) if p is not None else np.zeros(384) for p in per_reply]) + 1e-9),
        "q": enc.encode([join_title_body(q.title, q.text) for q in dataset.queries]),
        "qtitle": enc.encode([q.title for q in dataset.queries]),
    }


def dense_variants(v: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """(label, query x thread cosine matrix) for each thread-vector recipe."""
    q, qt = v["q"], unit(v["q"] + 0.5 * v["qtitle"])
    vec = lambda *parts: unit(sum(w * v[name] for name, w in parts))  # noqa: E731
    shipped = vec(("tbc", 1), ("r10x30", 0.75), ("title", 0.5))
    return [
        ("title+body (baseline)", q @ v["tb"].T),
        ("+ category", q @ v["tbc"].T),
        ("+ category + replies 10x30w @0.75", q @ vec(("tbc", 1), ("r10x30", 0.75)).T),
        ("+ category + replies + title vectors (t2, shipped before issue 13)", qt @ shipped.T),
        ("title+body + replies 10x30w @0.75 (no category)", q @ vec(("tb", 1), ("r10x30", 0.75)).T),
        ("+ category + first reply @0.5", q @ vec(("tbc", 1), ("r1", 0.5)).T),
        ("+ category + replies 5x60w @0.75", q @ vec(("tbc", 1), ("r5x60", 0.75)).T),
        ("+ category + mean of 10 reply vectors @0.75", q @ vec(("tbc", 1), ("rmean10", 0.75)).T),
        ("+ category, replies as a separate score (+0.75 cos)", q @ v["tbc"].T + 0.75 * (q @ v["r10x30"].T)),
        ("shipped fields, title vector on thread side only", q @ shipped.T),
    ]


def print_ablation(embedder, dataset) -> None:
    """Print the ablation tables for one split."""
    enc = CachedEncoder(embedder)
    v = field_vectors(enc, dataset)
    th = dataset.threads
    lex_texts = {
        "title+body (shipped)": [f"{t.title} {strip_markdown(t.body)}" for t in th],
        "title+body+category": [f"{t.title} {strip_markdown(t.body)} {t.category or ''}" for t in th],
        "title+body+10 replies": [f"{t.title} {strip_markdown(t.body)} " + " ".join(t.replies) for t in th],
    }
    lex = {name: bm25_matrix(dataset, texts) for name, texts in lex_texts.items()}
    shipped_lex = lex["title+body (shipped)"]
    print(f"**{dataset.name}: thread vector** (hybrid = BM25 title+body, z-score w=0.15)\n")
    print(
        "| thread vector | dense MAP | dense nDCG@10 | hybrid MAP | hybrid nDCG@10 |\n|---|---|---|---|---|"
    )
    variants = dense_variants(v)
    for label, dense in variants:
        (dm, dn), (hm, hn) = score(dataset, dense, None, 0), score(dataset, dense, shipped_lex, 0.15)
        print(f"| {label} | {dm:.2f} | {dn:.2f} | {hm:.2f} | {hn:.2f} |")
    shipped_dense = variants[3][1]
    print(f"\n**{dataset.name}: lexical text and fusion** (dense = shipped thread vector)\n")
    print("| lexical text / fusion | lexical MAP | lexical nDCG@10 | hybrid MAP | hybrid nDCG@10 |")
    print("|---|---|---|---|---|")
    for name, matrix in lex.items():
        (lm, ln), (hm, hn) = score(dataset, matrix, None, 0), score(dataset, shipped_dense, matrix, 0.15)
        print(f"| {name}, z-score w=0.15 | {lm:.2f} | {ln:.2f} | {hm:.2f} | {hn:.2f} |")
    for w in (0.1, 0.2, 0.3, "rrf"):
        hm, hn = score(dataset, shipped_dense, shipped_lex, w)
        label = "RRF k=60" if w == "rrf" else f"z-score w={w}"
        print(f"| title+body (shipped), {label} | | | {hm:.2f} | {hn:.2f} |")
    print()


def main() -> int:
    """Run the ablation for the requested splits."""
    from search.embedder import Embedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", choices=SPLITS, help="default: both splits")
    args = parser.parse_args()
    require_eval_data()
    embedder = Embedder()
    for split in args.split or SPLITS:
        print_ablation(embedder, load_dataset(EVAL_ROOT / split))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
