"""The database schema follows the code through Alembic migrations (forum/migrations)."""
import flask_migrate
from sqlalchemy import inspect

from .accounts import refresh_name_keys
from .extensions import db

# The revision that matches a database made by `create_all` before migrations existed.
BASELINE = "0001"


def upgrade_database() -> None:
    """Bring the database to the current schema, whatever earlier version made it.

    A database created by `create_all` has the tables but no alembic_version row. One
    that has every table of today's models was made by this version (tests do that) and
    is stamped current; one made before migrations existed lacks the tables added since
    and is stamped at the baseline, then upgraded. Then the name keys (derived from the
    names by Python's Unicode data) are brought up to date.
    """
    tables = set(inspect(db.engine).get_table_names())
    if "alembic_version" not in tables and "threads" in tables:
        current = set(db.metadata.tables) <= tables
        flask_migrate.stamp(revision="head" if current else BASELINE)
    flask_migrate.upgrade()
    refresh_name_keys()  # derived in Python, so kept here (a no-op when nothing changed)
