"""Site-wide state: the content generation that read caches are keyed by (issue 9), and
named values the code derives state from (``SiteState``)."""
from sqlalchemy import DDL, BigInteger, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ContentGeneration(db.Model):
    """One row: a counter every committed change to shown content moves on (forum/web/cache.py).

    Caches key on it, so a write is visible to everyone at once; it lives in the database
    because every server process (and machine) must see the same value.
    """

    __tablename__ = "content_generation"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


# create_all (tests, old databases) gets the row too; the migration inserts it otherwise.
event.listen(ContentGeneration.__table__, "after_create",
             DDL("INSERT INTO content_generation (id, value) VALUES (1, 0)"))


class SiteState(db.Model):
    """A named value of site-wide state, such as the version of the name folding that the
    stored name keys were made with (``forum.accounts.refresh_name_keys``)."""

    __tablename__ = "site_state"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
