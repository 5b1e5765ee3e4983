"""flask --app forum search status | reindex | verify | evaluate."""
import json
import sys

import click
from flask.cli import AppGroup

search_cli = AppGroup("search", help="The similar-threads index.")


def init_app(app) -> None:
    """Register the search commands."""
    app.cli.add_command(search_cli)


@search_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json):
    """Model, counts, index kind and freshness."""
    from .indexing import get_service
    info = get_service().status()
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    if info["mode"] == "lexical only":
        click.echo(f"WARNING: embedding model unavailable, keyword search only "
                   f"({info['unavailable_reason']})")
    for key, value in info.items():
        click.echo(f"{key.replace('_', ' ')}: {value}")
    behind = info["latest_change"] - info["last_change_applied"]
    click.echo("freshness: up to date" if behind <= 0 else f"freshness: {behind} change(s) behind")


@search_cli.command("reindex")
@click.option("--reencode", is_flag=True, help="Re-embed every thread instead of reusing "
              "the vectors stored in the database.")
def reindex(reencode):
    """Rebuild the index from the database."""
    from sqlalchemy import func
    from .extensions import db
    from .indexing import get_service
    from .search_service import indexable
    from .models import Thread
    total = db.session.scalar(indexable().with_only_columns(func.count(Thread.id)))
    with click.progressbar(length=total, label="Indexing threads", file=sys.stderr) as bar:
        count = get_service().reindex(reencode=reencode, progress=bar.update)
    click.echo(f"Indexed {count} threads.")


@search_cli.command("prune")
@click.option("--keep-days", default=30, show_default=True, type=click.IntRange(0),
              help="Keep the changes of this many days.")
def prune(keep_days):
    """Delete old rows of the index change log (a stale index is then rebuilt, not patched)."""
    from .indexing import get_service
    deleted = get_service().prune(keep_days)
    click.echo(f"Deleted {deleted} change-log row(s) older than {keep_days} day(s).")


@search_cli.command("verify")
def verify():
    """Exit non-zero when the index and the database disagree, saying how."""
    from .indexing import get_service
    problems = get_service().verify()
    for problem in problems:
        click.echo(f"MISMATCH: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo("Index and database agree.")


@search_cli.command("evaluate")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--modes", default="dense,lexical,hybrid", show_default=True)
@click.option("--featured-fraction", default=0.0, show_default=True,
              help="Feature this share of the threads first (measures the featured tie-break).")
def evaluate(directory, modes, featured_fraction):
    """Import a SemEval-style folder into a temporary instance and print quality figures."""
    from .evaluate import run_evaluation
    click.echo(run_evaluation(directory, modes.split(","), echo=click.echo,
                              featured_fraction=featured_fraction))
