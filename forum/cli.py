"""Command line: flask --app forum init | demo | users | groups | categories | threads."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from . import accounts, admin_services
from .domain import DomainError
from .extensions import db
from .models import ROLES, Group, User
from .schema import upgrade_database
from .searching import cli as searching_cli


def init_app(app) -> None:
    """Register the commands on the app."""
    app.cli.add_command(init_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    for group in (demo_cli, users_cli, groups_cli, categories_cli, threads_cli):
        app.cli.add_command(group)


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("init")
@with_appcontext  # plain click commands get no app context under app.test_cli_runner()
def init_command():
    """Create or upgrade the database to the current schema (safe to run again)."""
    upgrade_database()
    click.echo(f"Database ready: {current_app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(file):
    """Copy the database to FILE while the forum runs (SQLite online backup or pg_dump)."""
    from . import backup
    try:
        kind = backup.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Backed up the {kind} database to {file}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite a database that is not empty.")
@with_appcontext
def restore_command(file, force):
    """Replace the database with the backup in FILE, then re-derive the search index."""
    from . import backup
    try:
        backup.restore(db.engine, current_app.config["SQLALCHEMY_DATABASE_URI"], file, force)
    except DomainError as exc:
        _fail(exc.message)
    db.session.remove()
    upgrade_database()  # a backup made by an older version gets today's schema
    click.echo(f"Restored {file}.")
    searching_cli.forget_lease()
    if current_app.config.get("SEARCH_ENABLED", True):
        searching_cli.rebuild_index()


demo_cli = AppGroup("demo", help="Demo content.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Only when the forum has no threads yet.")
def demo_load(if_empty):
    """Load the demo community (members, categories, threads)."""
    import os

    from .demo import forum_is_empty, load_demo
    upgrade_database()
    if if_empty and (os.environ.get("FORUM_DEMO") == "0" or not forum_is_empty()):
        click.echo("Demo content skipped (forum not empty or FORUM_DEMO=0).")
        return
    with searching_cli.paused():
        summary = load_demo(echo=click.echo)
    if current_app.config.get("SEARCH_ENABLED", True):
        click.echo("Building the search index (the first run encodes every thread)…")
        searching_cli.process_queue()
        searching_cli.build_files()
    click.echo(summary)


users_cli = AppGroup("users", help="Accounts.")


@users_cli.command("create")
@click.argument("name")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--email", default=None)
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
def users_create(name, password, email, role):
    """Create an account."""
    try:
        user = accounts.create_user(name, password, email=email, role=role)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Created {user.role} {user.username}.")


groups_cli = AppGroup("groups", help="Groups such as a country team.")


@groups_cli.command("create")
@click.argument("name")
@click.option("--description", default="")
def groups_create(name, description):
    """Create a group."""
    try:
        admin_services.create_group(name, description)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Created group {name}.")


@groups_cli.command("add")
@click.argument("group")
@click.argument("user")
def groups_add(group, user):
    """Add USER to GROUP."""
    g = db.session.scalar(select(Group).where(Group.name == group))
    u = db.session.scalar(select(User).where(User.username == user.strip().lower()))
    if g is None or u is None:
        _fail(f"no group {group!r}" if g is None else f"no user {user!r}")
    admin_services.add_to_group(g, u)
    click.echo(f"Added {u.username} to {group}.")


categories_cli = AppGroup("categories", help="Categories (themes).")


@categories_cli.command("create")
@click.argument("name")
@click.option("--visibility", default="public", show_default=True,
              help="public, members or group:GROUP")
@click.option("--description", default="")
def categories_create(name, visibility, description):
    """Create a category."""
    try:
        category = admin_services.create_category(name, visibility, description)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"Created category {category.name} ({category.visibility_label}).")


threads_cli = AppGroup("threads", help="Threads.")


@threads_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--category", default=None, help="Category for lines that name none.")
def threads_import(file, category):
    """Import a JSONL archive, idempotent on external_id."""
    from .threads.importer import import_lines
    with open(file, encoding="utf-8") as fh:
        lines = fh.readlines()
    with click.progressbar(length=len(lines), label="Importing", file=sys.stderr) as bar, \
            searching_cli.paused():
        report = import_lines(lines, default_category=category, on_line=lambda: bar.update(1))
    # Encode now, with the rate and time left shown, so the server starts warm.
    searching_cli.process_queue()
    searching_cli.build_files()
    for number, reason in report.errors:
        click.echo(f"line {number}: {reason}", err=True)
    click.echo(f"{report.created} created, {report.updated} updated, "
               f"{len(report.errors)} failed.")
    if not report.ok:
        sys.exit(1)
