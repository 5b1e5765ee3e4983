"""flask --app forum mail send|test|status, and digest send (for cron)."""
import sys

import click
from flask.cli import AppGroup

from ..notifications import digest
from . import delivery, outbox, smtp

mail_cli = AppGroup("mail", help="Outgoing e-mail.")
digest_cli = AppGroup("digest", help="Digest e-mails.")


def init_app(app) -> None:
    """Register the commands."""
    app.cli.add_command(mail_cli)
    app.cli.add_command(digest_cli)


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _deliver() -> None:
    """Send what is due; a failure exits non-zero so cron mails its owner."""
    try:
        report = delivery.deliver_due()
    except smtp.MailNotConfigured as exc:
        _fail(f"{exc} Set MAIL_SERVER (see the README) to send e-mail.")
    click.echo(f"Mail: {report}.")
    for error in sorted(set(report.errors)):
        click.echo(f"  {error}", err=True)
    if report.errors:
        sys.exit(1)


@mail_cli.command("send")
def mail_send():
    """Send every queued e-mail that is due (safe to run from cron beside the server)."""
    _deliver()


@mail_cli.command("test")
@click.argument("address")
def mail_test(address):
    """Send a test e-mail to ADDRESS now, to check the MAIL_* settings."""
    if "@" not in address:
        _fail(f"{address!r} is not an e-mail address.")
    try:
        delivery.send_test(address)
    except smtp.MailNotConfigured as exc:
        _fail(f"{exc} Set MAIL_SERVER (see the README) to send e-mail.")
    except smtp.SEND_ERRORS as exc:
        _fail(f"the mail server did not take the message: {type(exc).__name__}: {exc}")
    click.echo(f"Test e-mail sent to {address}.")


@mail_cli.command("status")
def mail_status():
    """How many e-mails are pending, sent, cancelled or failed."""
    counts = outbox.counts()
    click.echo(", ".join(f"{counts.get(s, 0)} {s}" for s in
                         ("pending", "sending", "sent", "cancelled", "failed")))


@digest_cli.command("send")
def digest_send():
    """Queue this period's digests (once per member and period) and send what is due."""
    try:
        queued = digest.queue_due()
    except smtp.MailNotConfigured as exc:
        _fail(f"{exc} Set MAIL_SERVER (see the README) to send digests.")
    click.echo(f"Digests queued: {queued}.")
    _deliver()
