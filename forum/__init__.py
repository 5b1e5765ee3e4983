"""Headstart: a community-of-practice forum with semantic similar-thread search."""
import importlib
import os

from flask import Flask

from . import config as config_module
from . import logs
from .extensions import configure_sqlite, csrf, db, limiter, login_manager, migrate

# One blueprint package per domain (STYLE habit 3); each exposes `bp`.
MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

BLUEPRINTS = (
    "auth", "threads", "users", "errors", "api", "discover", "answers", "moderation",
    "featured", "admin", "notifications", "learning", "members", "health",
)


def create_app(test_config=None) -> Flask:
    """Application factory: nothing is built at import time."""
    app = Flask(
        __name__,
        instance_path=config_module.instance_path(),
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    config_module.load_config(app, test_config)
    logs.init_app(app)  # first: its timer starts before any other request hook
    from .web import compression
    compression.init_app(app)  # next: it runs after every hook but the log line
    from .web import input as web_input
    web_input.init_app(app)  # bounded ids, clean text, shallow JSON: before any route exists
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_sqlite(engine)
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table.
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    for name in BLUEPRINTS:
        module = importlib.import_module(f".{name}", __name__)
        app.register_blueprint(module.bp)
    from . import (  # flaskr's idiom: wire the app's parts in the factory
        cli,
        dbcopy,
        searching,
        web,
    )
    from .mail import cli as mail_cli
    from .mail import worker as mail_worker
    web.init_app(app)
    cli.init_app(app)
    dbcopy.init_app(app)  # `flask copy-to URL`: SQLite to PostgreSQL
    searching.init_app(app)
    mail_cli.init_app(app)
    mail_worker.init_app(app)  # the background sender, only when mail is configured
    from .suggestions import cli as suggestion_cli
    suggestion_cli.init_app(app)  # `flask search report` (issue 13)
    return app


@login_manager.user_loader
def _load_user(session_key: str):
    """The user of a live login session; a deleted or expired session signs nobody in."""
    from . import login_sessions as sessions
    return sessions.load(session_key)
