"""`flask --app forum search report [--prune] [--export DIR]`: the suggestion report on a terminal."""
import click
from flask.cli import with_appcontext

from ..searching.cli import search_cli
from . import export, report


def init_app(app) -> None:
    """Add `report` to the `search` command group."""
    search_cli.add_command(report_command)


def format_report(r: report.Report) -> str:
    """The report as plain text (the moderator page shows the same figures)."""
    lines = ["Click-through by rank (listings in composer sessions → opened):"]
    lines += [f"  rank {row.rank}: {row.opened}/{row.shown} opened ({row.rate:.1%})"
              for row in r.ranks] or ["  no suggestions shown yet"]
    lines += [
        f"'None of these' chosen: {r.dismissed}",
        f"Threads posted from the composer: {r.posted} "
        f"({r.posted_anyway} after seeing suggestions)",
        f"Later closed as duplicates: {r.duplicates} ({r.duplicate_share:.1%}); "
        f"original suggested: {r.duplicates_suggested}, not suggested: {r.duplicates_missed}",
        f"Most often suggested, never opened (last {r.window_days} days):",
    ]
    lines += [f"  {times}× #{t.id} {t.title}" for t, times in r.never_opened] or ["  none"]
    return "\n".join(lines)


@click.command("report")
@click.option("--prune", is_flag=True,
              help="First fold events older than SUGGESTION_LOG_DAYS into daily counts (cron-safe).")
@click.option("--export", "export_dir", type=click.Path(file_okay=False),
              help="Also write the duplicates the engine missed as a folder for `search evaluate`.")
@with_appcontext
def report_command(prune, export_dir):
    """What happened to similar-thread suggestions: click-through, duplicates, never opened."""
    if prune:
        click.echo(f"Folded {report.prune()} event(s) older than {report.log_days()} day(s) "
                   "into daily counts.")
    click.echo(format_report(report.build_report(None, everything=True)))
    if export_dir:
        summary = export.export_missed(export_dir)
        click.echo(f"Exported {summary.queries} missed duplicate(s) against {summary.threads} "
                   f"thread(s) to {export_dir}.")
