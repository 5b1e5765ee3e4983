"""The thread filters shared by listings, the search page and the search API."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import exists, func

from ..models import Category, FeaturedPractice, Tag, Thread, thread_tags


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

    def apply(self, stmt):
        """Restrict a select() of Thread to these filters."""
        if self.category is not None:
            stmt = stmt.where(Thread.category_id == self.category.id)
        if self.tag:
            stmt = stmt.where(exists().where(thread_tags.c.thread_id == Thread.id,
                                             thread_tags.c.tag_id == Tag.id, Tag.name == self.tag))
        if self.country:
            stmt = stmt.where(func.lower(Thread.country) == self.country.lower())
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
        return stmt
