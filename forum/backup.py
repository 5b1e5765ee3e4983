"""Backup and restore of the forum's database, while the forum runs (issue 12).

SQLite: the online backup API copies a consistent snapshot page by page, so a running
server (WAL mode) keeps serving and writing. PostgreSQL: `pg_dump` in its custom format
(a snapshot, too) and `pg_restore`. Credentials come from the database URL and reach the
tools through the environment (PGPASSWORD), never the command line, where `ps` shows them.

The search index is derived state: a restored database carries its embeddings, and the
caller re-derives the index files from it (`flask search reindex`, done by `restore`).
"""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass

from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import make_url

from .dbcopy import SEEDED
from .domain import DomainError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


def _error(field: str, message: str) -> DomainError:
    return DomainError((field, message))


@dataclass(frozen=True)
class Target:
    """Where the database is: a SQLite file or a PostgreSQL connection."""

    dialect: str  # "sqlite" | "postgresql"
    path: str = ""  # SQLite file
    env: dict | None = None  # PG* variables for the PostgreSQL tools

    @classmethod
    def from_url(cls, url: str) -> "Target":
        """The target a SQLAlchemy URL names."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise _error("database", "an in-memory SQLite database cannot be backed up")
            return cls("sqlite", path=parsed.database)
        if parsed.get_backend_name() != "postgresql":
            raise _error("database", f"no backup for {parsed.get_backend_name()} databases")
        env = {"PGHOST": parsed.host or "", "PGPORT": str(parsed.port or ""),
               "PGUSER": parsed.username or "", "PGPASSWORD": parsed.password or "",
               "PGDATABASE": parsed.database or ""}
        return cls("postgresql", env={k: v for k, v in env.items() if v})


def backup(url: str, path: str) -> str:
    """Write a consistent copy of the database at `url` to `path`; returns its format."""
    target = Target.from_url(url)
    partial = f"{path}.partial"
    if target.dialect == "sqlite":
        _sqlite_copy(target.path, partial, source_must_exist=True)
    else:
        _pg_tool("pg_dump", ["--format=custom", "--no-owner", "--file", partial], target)
    os.replace(partial, path)  # a backup file is either whole or absent
    return target.dialect


def restore(engine, url: str, path: str, force: bool = False) -> None:
    """Replace the database at `url` with the backup in `path`.

    Refuses a database that holds any row unless `force`; the engine's pooled
    connections are closed first so none keeps a view of the old database.
    """
    target = Target.from_url(url)
    kind = backup_format(path)
    if kind != target.dialect:
        raise _error("file", f"{path} is a {kind} backup; the database is {target.dialect}")
    if not force and not is_empty(engine):
        raise _error("database", "the database is not empty; pass --force to overwrite it")
    engine.dispose()
    if target.dialect == "sqlite":
        _sqlite_copy(path, target.path, source_must_exist=True)
    else:
        _pg_tool("pg_restore", ["--clean", "--if-exists", "--no-owner", "--no-privileges",
                                "--single-transaction", "--exit-on-error",
                                "--dbname", target.env.get("PGDATABASE", ""), path], target)
    engine.dispose()


def backup_format(path: str) -> str:
    """'sqlite' or 'postgresql', from the file's first bytes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise _error("file", f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise _error("file", f"{path} is not a forum backup (SQLite file or pg_dump archive)")


def is_empty(engine) -> bool:
    """True when no table of the database holds a row (the schema alone may exist, with the
    rows the migrations themselves write)."""
    names = [n for n in inspect(engine).get_table_names()
             if n != "alembic_version" and n not in SEEDED]
    with engine.connect() as conn:
        return not any(conn.scalar(select(func.count()).select_from(table(n))) for n in names)


def _sqlite_copy(source: str, destination: str, source_must_exist: bool) -> None:
    """Copy one SQLite database into another with the online backup API."""
    if source_must_exist and not os.path.exists(source):
        raise _error("file", f"{source} does not exist")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(destination, timeout=30)
    try:
        src.backup(dst)
    except sqlite3.DatabaseError as exc:
        raise _error("file", f"SQLite copy failed: {exc}") from None
    finally:
        dst.close()
        src.close()


def pg_binary(name: str) -> str:
    """The newest installed `pg_dump`/`pg_restore` (a newer one reads older servers)."""
    found = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    found.sort(key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    binary = found[-1] if found else shutil.which(name)
    if not binary:
        raise _error("database", f"{name} is not installed (apt-get install postgresql-client)")
    return binary


def _pg_tool(name: str, args: list[str], target: Target) -> None:
    done = subprocess.run([pg_binary(name), *args], env={**os.environ, **target.env},
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise _error("database", f"{name} failed: {(done.stderr or done.stdout).strip()}")
