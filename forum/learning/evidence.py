"""Evidence at a glance: an experience's outcome and its adaptations, as one viewer may see them.

Security note: every figure here is computed over threads the viewer may see
(permissions.visible_threads), whatever ids the caller passes, so "Adapted in 5 countries"
never counts a restricted thread's adaptations, and a hidden thread shows no evidence.
"""
from dataclasses import dataclass, field
from typing import Iterable, Optional

from sqlalchemy import bindparam, select

from .. import permissions
from ..extensions import db
from ..models import OUTCOME_LABELS, OUTCOMES, Adaptation, ExperienceDetails, Thread

SHORT = {"worked": "worked", "partly": "partly", "did_not_work": "did not work",
         "too_early": "too early"}


def _plural(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


@dataclass
class Evidence:
    """What one thread shows: its own outcome (experiences) and how its adaptations went."""

    outcome: Optional[str] = None
    country: str = ""
    years: str = ""
    teams: int = 0
    countries: int = 0
    counts: dict = field(default_factory=dict)  # outcome (None = not reported) -> adaptations

    @property
    def outcome_label(self) -> str:
        """'Worked', 'Partly worked'… ('' without an outcome)."""
        return OUTCOME_LABELS.get(self.outcome or "", "")

    @property
    def experience_line(self) -> str:
        """'Worked in Kenya, 2024' ('' without an outcome)."""
        if not self.outcome:
            return ""
        where = f" in {self.country}" if self.country else ""
        return f"{self.outcome_label}{where}{', ' + self.years if self.years else ''}"

    @property
    def adaptation_line(self) -> str:
        """'Adapted in 5 countries — worked 3, partly 1, too early 1' ('' when never adapted)."""
        if not self.teams:
            return ""
        if self.countries and self.teams == self.countries:
            head = f"Adapted in {_plural(self.countries, 'country', 'countries')}"
        elif self.countries:
            head = (f"Adapted by {_plural(self.teams, 'team')} in "
                    f"{_plural(self.countries, 'country', 'countries')}")
        else:
            head = f"Adapted by {_plural(self.teams, 'team')}"
        parts = [f"{SHORT[o]} {self.counts[o]}" for o in OUTCOMES if self.counts.get(o)]
        if self.counts.get(None):
            parts.append(f"no outcome yet {self.counts[None]}")
        return head + (" — " + ", ".join(parts) if parts else "")

    def as_json(self) -> dict:
        """The API's shape of the evidence."""
        return {
            "outcome": self.outcome, "outcome_label": self.outcome_label or None,
            "experience_summary": self.experience_line or None,
            "adaptations": {"teams": self.teams, "countries": self.countries,
                            "outcomes": {o: self.counts.get(o, 0) for o in OUTCOMES},
                            "no_outcome_yet": self.counts.get(None, 0),
                            "summary": self.adaptation_line or None},
        }


def year_span(start: Optional[int], end: Optional[int], period: str = "") -> str:
    """'2022–2024', '2024', or the period as written when it names no year."""
    if start and end and end != start:
        return f"{start}–{end}"
    if start:
        return str(start)
    return (period or "")[:40]


def thread_evidence(viewer, thread_ids: Iterable[int]) -> dict[int, Evidence]:
    """Evidence for each of these threads that the viewer may see (others are left out)."""
    ids = list(set(thread_ids))
    if not ids:
        return {}
    visible = list(db.session.scalars(permissions.prepared(viewer, "evidence", _visible_ids),
                                      {"ids": ids}))
    found = {tid: Evidence() for tid in visible}
    if not found:
        return {}
    for tid, outcome, period, start, end, country in db.session.execute(_EXPERIENCES,
                                                                         {"ids": visible}):
        ev = found[tid]
        ev.outcome, ev.country, ev.years = outcome, country, year_span(start, end, period)
    countries: dict[int, set] = {}
    for tid, country, outcome in db.session.execute(_ADAPTATIONS, {"ids": visible}):
        ev = found[tid]
        ev.teams += 1
        ev.counts[outcome] = ev.counts.get(outcome, 0) + 1
        if country.strip():
            countries.setdefault(tid, set()).add(country.strip().casefold())
    for tid, names in countries.items():
        found[tid].countries = len(names)
    return found


# The statements, built once (a result list asks for evidence on every request); the ids are
# bound when they run.
def _visible_ids(viewer):
    return (permissions.visible_threads(viewer).with_only_columns(Thread.id)
            .where(Thread.id.in_(bindparam("ids", expanding=True))))


_EXPERIENCES = (
    select(ExperienceDetails.thread_id, ExperienceDetails.outcome, ExperienceDetails.period,
           ExperienceDetails.start_year, ExperienceDetails.end_year, Thread.country)
    .join(Thread, Thread.id == ExperienceDetails.thread_id)
    .where(ExperienceDetails.thread_id.in_(bindparam("ids", expanding=True))))
_ADAPTATIONS = (select(Adaptation.thread_id, Adaptation.country, Adaptation.outcome)
                .where(Adaptation.thread_id.in_(bindparam("ids", expanding=True))))


def evidence_for(viewer, thread: Thread) -> Evidence:
    """The evidence of one thread (empty when the viewer may not see it)."""
    return thread_evidence(viewer, [thread.id]).get(thread.id, Evidence())
