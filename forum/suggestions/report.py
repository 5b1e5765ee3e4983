"""The suggestion report: click-through by rank, duplicates, suggestions never opened.

Counts add the raw events still kept and the daily counts of pruned ones (retention),
so the figures cover the whole history; "never opened" lists threads, which only the
raw events name, so it covers the last SUGGESTION_LOG_DAYS days.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from .. import permissions
from ..extensions import db
from ..models import SuggestionDaily, SuggestionEvent, Thread
from ..models._base import utcnow

NEVER_OPENED_LIMIT = 10


@dataclass
class RankRow:
    """Click-through at one rank of the suggestion list."""

    rank: int
    shown: int
    opened: int

    @property
    def rate(self) -> float:
        """Share of the listings at this rank that were opened."""
        return self.opened / self.shown if self.shown else 0.0


@dataclass
class Report:
    """What the moderator page and `flask search report` show."""

    ranks: list[RankRow]
    dismissed: int
    posted: int
    posted_anyway: int
    duplicates_suggested: int
    duplicates_missed: int
    never_opened: list[tuple[Thread, int]] = field(default_factory=list)
    window_days: int = 0

    @property
    def duplicates(self) -> int:
        """New threads later closed as duplicates."""
        return self.duplicates_suggested + self.duplicates_missed

    @property
    def duplicate_share(self) -> float:
        """Share of the threads posted from the composer later closed as duplicates."""
        return self.duplicates / self.posted if self.posted else 0.0


def log_days() -> int:
    """How many days raw events are kept (SUGGESTION_LOG_DAYS)."""
    return int(current_app.config["SUGGESTION_LOG_DAYS"])


def _classify(rows, shown_sessions: set[str]) -> Counter:
    """Count events by the daily table's (kind, rank): the same buckets live and pruned."""
    counts: Counter = Counter()
    for kind, rank, session in rows:
        if kind in ("shown", "opened"):
            counts[(kind, rank or 0)] += 1
        elif kind == "posted":
            counts[("posted", 0)] += 1
            if session in shown_sessions:
                counts[("posted-anyway", 0)] += 1
        elif kind == "duplicate":
            counts[("duplicate-suggested" if rank else "duplicate-missed", rank or 0)] += 1
        else:
            counts[(kind, 0)] += 1
    return counts


def _shown_sessions(sessions) -> set[str]:
    """Which of these sessions listed at least one suggestion."""
    sessions = list(set(sessions))
    found: set[str] = set()
    for start in range(0, len(sessions), 500):
        found.update(db.session.scalars(select(SuggestionEvent.session).where(
            SuggestionEvent.kind == "shown",
            SuggestionEvent.session.in_(sessions[start:start + 500])).distinct()))
    return found


def _live_counts(before: datetime | None = None) -> tuple[Counter, list[int]]:
    """Bucketed counts of the raw events (older than ``before`` if given) and their ids."""
    stmt = select(SuggestionEvent.id, SuggestionEvent.kind, SuggestionEvent.rank,
                  SuggestionEvent.session, SuggestionEvent.created_at)
    if before is not None:
        stmt = stmt.where(SuggestionEvent.created_at < before)
    rows = db.session.execute(stmt).all()
    posted = [r.session for r in rows if r.kind == "posted"]
    shown = _shown_sessions(posted) if posted else set()
    by_day: Counter = Counter()
    for r in rows:
        for (kind, rank), n in _classify([(r.kind, r.rank, r.session)], shown).items():
            by_day[(r.created_at.date(), kind, rank)] += n
    return by_day, [r.id for r in rows]


def _totals() -> Counter:
    """(kind, rank) counts over raw events and daily rows."""
    totals: Counter = Counter()
    live, _ = _live_counts()
    for (_, kind, rank), n in live.items():
        totals[(kind, rank)] += n
    for kind, rank, n in db.session.execute(select(
            SuggestionDaily.kind, SuggestionDaily.rank, func.sum(SuggestionDaily.count))
            .group_by(SuggestionDaily.kind, SuggestionDaily.rank)):
        totals[(kind, rank)] += int(n)
    return totals


def never_opened(viewer, limit: int = NEVER_OPENED_LIMIT, everything: bool = False):
    """Threads most often suggested (distinct sessions) and never opened, that viewer may see.

    Args:
        viewer: The user the list is for; restricted threads they may not see are left out.
        limit: How many threads.
        everything: True only for the operator's CLI, which has no user.
    """
    opened = select(SuggestionEvent.thread_id).where(
        SuggestionEvent.kind == "opened", SuggestionEvent.thread_id.is_not(None))
    times = func.count(func.distinct(SuggestionEvent.session)).label("times")
    visible = select(Thread.id) if everything else permissions.visible_threads(viewer) \
        .with_only_columns(Thread.id)
    rows = db.session.execute(
        select(SuggestionEvent.thread_id, times)
        .where(SuggestionEvent.kind == "shown", SuggestionEvent.thread_id.not_in(opened),
               SuggestionEvent.thread_id.in_(visible))
        .group_by(SuggestionEvent.thread_id)
        .order_by(times.desc(), SuggestionEvent.thread_id).limit(limit)).all()
    threads = {t.id: t for t in db.session.scalars(
        select(Thread).where(Thread.id.in_([r[0] for r in rows])))}
    return [(threads[tid], n) for tid, n in rows if tid in threads]


def build_report(viewer, everything: bool = False) -> Report:
    """The whole report, with thread lists restricted to what ``viewer`` may see."""
    totals = _totals()
    ranks = sorted({rank for kind, rank in totals if kind in ("shown", "opened") and rank})
    return Report(
        ranks=[RankRow(r, totals[("shown", r)], totals[("opened", r)]) for r in ranks],
        dismissed=totals[("dismissed", 0)],
        posted=totals[("posted", 0)],
        posted_anyway=totals[("posted-anyway", 0)],
        duplicates_suggested=sum(n for (k, _), n in totals.items() if k == "duplicate-suggested"),
        duplicates_missed=totals[("duplicate-missed", 0)],
        never_opened=never_opened(viewer, everything=everything),
        window_days=log_days(),
    )


def prune(now: datetime | None = None) -> int:
    """Fold raw events older than SUGGESTION_LOG_DAYS into daily counts; commits.

    Safe to run from cron at any frequency: a second run finds nothing left to fold.

    Returns:
        How many raw events were folded and deleted.
    """
    cutoff = (now or utcnow()) - timedelta(days=log_days())
    by_day, ids = _live_counts(before=cutoff)
    for (day, kind, rank), n in by_day.items():
        _add_daily(day, kind, rank, n)
    for start in range(0, len(ids), 500):
        db.session.execute(delete(SuggestionEvent).where(SuggestionEvent.id.in_(ids[start:start + 500])))
    db.session.commit()
    return len(ids)


def _add_daily(day: date, kind: str, rank: int, n: int) -> None:
    """Add n to one daily bucket, creating it when missing."""
    row = db.session.scalar(select(SuggestionDaily).where(
        SuggestionDaily.day == day, SuggestionDaily.kind == kind, SuggestionDaily.rank == rank))
    if row is None:
        db.session.add(SuggestionDaily(day=day, kind=kind, rank=rank, count=n))
        db.session.flush()
    else:
        row.count += n
