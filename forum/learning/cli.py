"""`flask --app forum followups send [--dry-run]`: ask "did it work?" when it is due."""
import click
from flask import current_app
from flask.cli import AppGroup

from . import bp, followups

followups_cli = AppGroup("followups", help="'Did it work?' follow-ups.")
bp.cli.add_command(followups_cli)


@followups_cli.command("send")
@click.option("--dry-run", is_flag=True, help="List who would be asked; change nothing.")
def send(dry_run):
    """Ask members whose accepted answer or adaptation is FOLLOWUP_AFTER_DAYS old (idempotent)."""
    try:
        days = followups.after_days_setting(current_app.config)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    done = followups.send_followups(after_days=days, dry_run=dry_run)
    for item in done:
        click.echo(f"{'would ask' if dry_run else 'asked'} user {item.user_id} about "
                   f"{item.subject} {item.subject_id} (thread {item.thread_id})")
    verb = "would be asked" if dry_run else "asked"
    click.echo(f"{len(done)} follow-up{'s' if len(done) != 1 else ''} {verb} "
               f"(after {days} days).")
