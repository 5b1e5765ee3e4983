"""Export the duplicates the engine missed as a SemEval-style folder for `flask search evaluate`.

A missed duplicate is a thread posted from the composer and later closed as a duplicate
of a thread that the composer never listed. Each becomes a query (its title and opening
post) whose one relevant thread (grade 2, "perfect match") is the original; the corpus
is every thread a guest may read except closed duplicates. Only public content leaves
the forum: no author names, and a pair whose original or query is restricted is skipped.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..models import SuggestionEvent, Thread

RERANK_CANDIDATES = 10


@dataclass
class ExportSummary:
    """How many queries and corpus threads were written."""

    queries: int
    threads: int


def _ext(thread_id: int) -> str:
    return f"T{thread_id}"


def _record(thread: Thread) -> dict:
    """A thread in Headstart's import format, without authors."""
    posts = [p for p in thread.posts if p.deleted_at is None and not p.is_hidden]
    opening = next((p for p in posts if p.is_opening), None)
    return {
        "external_id": _ext(thread.id), "title": thread.title,
        "body": opening.body if opening else "", "category": thread.category.name,
        "kind": thread.kind, "tags": list(thread.tag_names),
        "created_at": thread.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "replies": [{"body": p.body, "created_at": p.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
                    for p in posts if not p.is_opening],
    }


def _missed_pairs(public: set[int]) -> list[tuple[SuggestionEvent, list[int]]]:
    """(duplicate event, threads shown in its session best rank first), public pairs only."""
    events = db.session.scalars(select(SuggestionEvent).where(
        SuggestionEvent.kind == "duplicate", SuggestionEvent.rank.is_(None))
        .order_by(SuggestionEvent.id)).all()
    pairs = []
    for event in events:
        if event.thread_id not in public or event.new_thread_id not in public:
            continue
        shown = db.session.execute(select(SuggestionEvent.thread_id, SuggestionEvent.rank).where(
            SuggestionEvent.session == event.session, SuggestionEvent.kind == "shown")
            .order_by(SuggestionEvent.rank, SuggestionEvent.id)).all()
        pairs.append((event, list(dict.fromkeys(t for t, _ in shown if t in public))))
    return pairs


def export_missed(directory: str | Path) -> ExportSummary:
    """Write queries.jsonl, threads.jsonl, corpus_dedup.jsonl, qrels_dedup.tsv,
    candidates.tsv and dedup_map.tsv into ``directory`` (created if missing)."""
    guest = permissions.visible_threads(None)
    readable = db.session.scalars(guest.options(
        selectinload(Thread.posts), selectinload(Thread.category), selectinload(Thread.tags))).all()
    public = {t.id for t in readable}
    pairs = _missed_pairs(public)
    queries = {e.new_thread_id for e, _ in pairs}
    corpus = [t for t in readable if t.duplicate_of_id is None and t.id not in queries]
    in_corpus = {t.id for t in corpus}
    pairs = [(e, shown) for e, shown in pairs if e.thread_id in in_corpus]
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    by_id = {t.id: t for t in readable}
    _jsonl(out / "queries.jsonl", [
        {"_id": _ext(e.new_thread_id), "title": by_id[e.new_thread_id].title,
         "text": _record(by_id[e.new_thread_id])["body"]} for e, _ in pairs])
    records = [_record(t) for t in corpus]
    _jsonl(out / "threads.jsonl", records)
    _jsonl(out / "corpus_dedup.jsonl",
           [{"_id": r["external_id"], "title": r["title"], "text": r["body"]} for r in records])
    _tsv(out / "qrels_dedup.tsv", ("query-id", "corpus-id", "score"),
         [(_ext(e.new_thread_id), _ext(e.thread_id), 2) for e, _ in pairs])
    _tsv(out / "candidates.tsv", ("query-id", "corpus-id", "ir_rank"), [
        (_ext(e.new_thread_id), _ext(t), rank) for e, shown in pairs
        for rank, t in enumerate(_candidates(e, shown, in_corpus), start=1)])
    _tsv(out / "dedup_map.tsv", ("corpus-id", "canonical-id"),
         [(r["external_id"], r["external_id"]) for r in records])
    return ExportSummary(len(pairs), len(records))


def _candidates(event: SuggestionEvent, shown: list[int], in_corpus: set[int]) -> list[int]:
    """What the composer listed, then the original it missed (the rerank protocol's list)."""
    listed = [t for t in shown if t in in_corpus and t != event.thread_id]
    return listed[:RERANK_CANDIDATES - 1] + [event.thread_id]


def _jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _tsv(path: Path, header: tuple, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
