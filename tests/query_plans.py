"""SQLite's query plans of what a block of code runs, to check that lookups use an index."""
from contextlib import contextmanager

from sqlalchemy import event

from forum.extensions import db


@contextmanager
def sqlite_plans(app, mentioning: str):
    """SQLite's plan (one line each) of every SELECT whose text contains ``mentioning``
    while the block runs."""
    plans = []

    def explain(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and mentioning in statement:
            plans.append(" | ".join(row[-1] for row in cursor.connection.execute(
                "EXPLAIN QUERY PLAN " + statement, parameters).fetchall()))
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        event.remove(engine, "before_cursor_execute", explain)
