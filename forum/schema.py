"""The database schema follows the code through Alembic migrations (forum/migrations)."""
import flask_migrate
from sqlalchemy import inspect

from .extensions import db

# The revision that matches a database made by `create_all` before migrations existed.
BASELINE = "0001"


def upgrade_database() -> None:
    """Bring the database to the current schema, whatever earlier version made it.

    A database created by an earlier version's `create_all` has the tables but no
    alembic_version row: it is stamped at the baseline first, then upgraded. One made by
    this version's `create_all` (tests, scripts) already has every table: it is stamped at
    the head, since replaying later migrations would create tables that exist.
    """
    tables = set(inspect(db.engine).get_table_names())
    if "alembic_version" not in tables and "threads" in tables:
        current = set(db.metadata.tables) <= tables
        flask_migrate.stamp(revision="head" if current else BASELINE)
    flask_migrate.upgrade()
