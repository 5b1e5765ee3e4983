"""The thread filters shared by listings, the search page and the search API."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import exists, func, or_

from ..models import _base
from ..names import place_key
from ..models import (
    Adaptation,
    Category,
    ExperienceDetails,
    FeaturedPractice,
    Tag,
    Thread,
    thread_tags,
)

_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:[-–—]|to)?\s*(\d{4})?\s*$")
YEAR_MIN, YEAR_MAX = _base.YEAR_MIN, _base.YEAR_MAX


def period_range(value: str) -> tuple[int, int]:
    """'2024' -> (2024, 2024); '2022-2024' -> (2022, 2024); anything else is a ValueError."""
    match = _PERIOD.match(value or "")
    if not match:
        raise ValueError("not a year or a range of years")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if not YEAR_MIN <= low <= high <= YEAR_MAX:
        raise ValueError("years out of range")
    return low, high


def normalise_period(value: str) -> str:
    """The period as the filters show it ('2024' or '2022-2024'); ValueError when unusable."""
    low, high = period_range(value)
    return str(low) if low == high else f"{low}-{high}"


@dataclass
class SearchFilters:
    """Filters of the search page and API, already validated."""

    category: Optional[Category] = None
    tag: str = ""
    country: str = ""
    kind: str = ""
    status: str = ""
    featured: bool = False
    since: Optional[datetime] = None
    until: Optional[datetime] = None
    outcome: str = ""  # experiences (or adaptations) with this reported outcome
    theme: str = ""  # experiences of this theme or sector
    period: str = ""  # experiences whose period overlaps these years: "2024", "2022-2024"

    def apply(self, stmt):
        """Restrict a select() of Thread to these filters."""
        if self.category is not None:
            stmt = stmt.where(Thread.category_id == self.category.id)
        if self.tag:
            stmt = stmt.where(exists().where(thread_tags.c.thread_id == Thread.id,
                                             thread_tags.c.tag_id == Tag.id, Tag.name == self.tag))
        if self.country:
            stmt = stmt.where(Thread.country_key == place_key(self.country))
        if self.kind:
            stmt = stmt.where(Thread.kind == self.kind)
        if self.status == "unanswered":
            stmt = stmt.where(Thread.reply_count == 0, Thread.status != "closed")
        elif self.status:
            stmt = stmt.where(Thread.status == self.status)
        if self.featured:
            stmt = stmt.where(exists().where(FeaturedPractice.thread_id == Thread.id))
        if self.since:
            stmt = stmt.where(Thread.created_at >= self.since)
        if self.until:
            stmt = stmt.where(Thread.created_at < self.until + timedelta(days=1))
        return self._apply_learning(stmt)

    def _apply_learning(self, stmt):
        """Outcome, theme and period (issue 10)."""
        details = ExperienceDetails
        if self.outcome:
            stmt = stmt.where(or_(
                exists().where(details.thread_id == Thread.id, details.outcome == self.outcome),
                exists().where(Adaptation.thread_id == Thread.id,
                               Adaptation.outcome == self.outcome)))
        if self.theme:
            stmt = stmt.where(exists().where(details.thread_id == Thread.id,
                                             func.lower(details.theme) == self.theme.lower()))
        if self.period:
            low, high = period_range(self.period)
            stmt = stmt.where(exists().where(
                details.thread_id == Thread.id, details.start_year <= high,
                func.coalesce(details.end_year, details.start_year) >= low))
        return stmt
