"""`flask --app forum copy-to URL`: move a forum (SQLite) into an empty PostgreSQL database.

The target is brought to the current migration first, then every table is copied in
foreign-key order with its ids, in one transaction (a failure leaves the target as it
was), and PostgreSQL's id sequences are set past the copied ids. The search index is
derived state: the copied `search_documents` and embeddings let every machine rebuild
or keep its index folder without re-encoding anything.
"""
from __future__ import annotations

from typing import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import (
    Table, bindparam, create_engine, func, insert, literal, or_, select, text, update,
)
from sqlalchemy.engine import Connection, Engine

from .extensions import db
from .models import SearchQueue, Thread
from .models._base import utcnow

BATCH = 1000  # rows read and written at a time
# State of the old servers' processes, not of the forum: the search worker's lease is let
# go, so the new servers index at once instead of waiting for the old holder's to expire.
CLEANED = "(NUL characters removed)"  # a count kept beside the tables
# Rows the migrations and `init` themselves write (a counter, the name-folding version):
# the target's are replaced by the source's.
SEEDED = ("content_generation", "site_state")
NOT_COPIED = {"search_state": {"lease_owner": "", "lease_until": None}}


class CopyRefused(Exception):
    """The copy cannot start; the message says why and what to do."""


def init_app(app) -> None:
    """Register `flask copy-to`."""
    app.cli.add_command(copy_to_command)


@click.command("copy-to")
@click.argument("url")
@with_appcontext
def copy_to_command(url):
    """Copy this forum's database into the empty PostgreSQL database at URL, keeping ids."""
    try:
        copied = copy_database(url, echo=click.echo)
    except CopyRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Copied {sum(copied.values())} rows in {len(copied)} tables. Point the forum "
               "at the new database (DATABASE_URL) and start it.")


def copy_database(url: str, echo: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """Copy every table of the app's database into the empty database at `url`; rows per table."""
    url = _psycopg_url(url)
    if not url.startswith("postgresql+psycopg://"):
        raise CopyRefused("The target must be a PostgreSQL URL (postgresql://user:pass@host/db).")
    source = db.engine
    _check_source_is_current(source)
    target = create_engine(url)
    try:
        _upgrade(url)
        with source.connect() as reader, target.begin() as writer:
            _check_empty(writer)
            copied = {}
            copied[CLEANED] = 0
            deferred: list[tuple[Table, list[str]]] = []
            done: set[str] = set()
            for table in db.metadata.sorted_tables:
                later = _later_references(table, done)
                copied[table.name] = _copy_table(reader, writer, table, later, copied)
                done.add(table.name)
                if later:
                    deferred.append((table, later))
                echo(f"{table.name}: {copied[table.name]} rows")
            for table, columns in deferred:
                _fill_references(reader, writer, table, columns)
            if cleaned := copied.pop(CLEANED, 0):
                echo(f"{cleaned} text value(s) had NUL characters, which PostgreSQL refuses: "
                     "removed; every thread is queued to be indexed again")
                _requeue_threads(writer)
            _reset_sequences(writer)
    finally:
        target.dispose()
    return copied


def _psycopg_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _check_source_is_current(source: Engine) -> None:
    """Both sides must have the same schema: the source at the newest migration."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    config = current_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with source.connect() as conn:
        found = MigrationContext.configure(conn).get_current_revision()
    if found != head:
        raise CopyRefused(f"This database is at migration {found or 'none'}, not {head}: "
                          "run `flask --app forum init` on it first.")


def _upgrade(url: str) -> None:
    """Create (or check) the current schema in the target through the migrations."""
    from . import create_app
    from .schema import upgrade_database
    config = {**current_app.config, "SQLALCHEMY_DATABASE_URI": url, "SEARCH_ENABLED": False}
    target_app = create_app(config)
    with target_app.app_context():
        try:
            upgrade_database()
        finally:
            db.session.remove()
            db.engine.dispose()


def _check_empty(writer: Connection) -> None:
    """Refuse a target that holds any forum row: the copy never merges two forums."""
    for table in db.metadata.sorted_tables:
        if table.name in SEEDED:
            writer.execute(table.delete())  # the migrations' own rows: the source's replace them
        elif writer.scalar(select(func.count()).select_from(table)):
            raise CopyRefused(f"The target database is not empty (table {table.name} has rows); "
                              "copy into a new, empty database.")


def _later_references(table: Table, done: set[str]) -> list[str]:
    """Columns referring to rows not copied yet (this table's own, or a later table's)."""
    return sorted({fk.parent.name for fk in table.foreign_keys
                   if fk.column.table.name not in done})


def _copy_table(reader: Connection, writer: Connection, table: Table, later: list[str],
                counts: dict) -> int:
    """Copy one table in primary-key order; columns in `later` are filled in afterwards."""
    count = 0
    result = reader.execute(select(table).order_by(*table.primary_key.columns))
    while rows := result.fetchmany(BATCH):
        batch = [{**_clean(row._mapping, counts), **NOT_COPIED.get(table.name, {}),
                  **{c: None for c in later}} for row in rows]
        writer.execute(table.insert(), batch)
        count += len(batch)
    return count


def _clean(row, counts: dict) -> dict:
    """A row's values as PostgreSQL takes them: NUL is not allowed in its text."""
    values = dict(row)
    for key, value in values.items():
        if isinstance(value, str) and "\x00" in value:
            values[key] = value.replace("\x00", "")
            counts[CLEANED] += 1
    return values


def _requeue_threads(writer: Connection) -> None:
    """Queue every thread: a text that changed must be embedded again (the worker re-encodes
    only texts whose digest differs, so the others cost a comparison)."""
    writer.execute(insert(SearchQueue).from_select(
        ["thread_id", "queued_at"], select(Thread.id, literal(utcnow()))))


def _fill_references(reader: Connection, writer: Connection, table: Table, columns) -> None:
    """Set the references held back while their rows were not there yet."""
    keys = list(table.primary_key.columns)
    wanted = [table.c[name] for name in columns]
    statement = update(table).where(*[k == bindparam(f"key_{k.name}") for k in keys]).values(
        {c.name: bindparam(f"value_{c.name}") for c in wanted})
    rows = reader.execute(select(*keys, *wanted).where(or_(*[c.isnot(None) for c in wanted])))
    while batch := rows.fetchmany(BATCH):
        writer.execute(statement, [
            {**{f"key_{k.name}": row._mapping[k.name] for k in keys},
             **{f"value_{c.name}": row._mapping[c.name] for c in wanted}} for row in batch])


def _reset_sequences(writer: Connection) -> None:
    """Move each id sequence past the copied ids, so new rows do not collide with them."""
    for table in db.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            continue
        sequence = writer.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                 {"t": table.name, "c": keys[0].name})
        if sequence:
            writer.execute(text(
                f'SELECT setval(:s, COALESCE(MAX("{keys[0].name}"), 1), MAX("{keys[0].name}") '
                f'IS NOT NULL) FROM "{table.name}"'), {"s": sequence})

