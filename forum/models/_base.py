"""Shared column helpers for the models."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time as a naive UTC datetime (stored the same on SQLite and PostgreSQL)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
