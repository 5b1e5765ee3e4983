"""The read-page baseline (issue 9): a minimal Flask + SQLite + Jinja page listing 30 rows.

Served by bench_pages.py under gunicorn exactly like the forum (same workers, same wrk);
it reads the forum's own demo database, so the rows and their sizes are the same.
"""
import os
import sqlite3

from flask import Flask, render_template

app = Flask(__name__, template_folder="minimal_templates")
DB = os.environ["MINIMAL_DB"]


@app.get("/")
def latest():
    """The 30 latest threads, titles and dates, from SQLite through a Jinja template."""
    with sqlite3.connect(DB) as conn:
        rows = conn.execute("SELECT id, title, country, last_activity_at, reply_count "
                            "FROM threads ORDER BY last_activity_at DESC LIMIT 30").fetchall()
    return render_template("latest.html", rows=rows)
