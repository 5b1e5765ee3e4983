"""Extensions, created unbound and bound in create_app (STYLE habit 2)."""
from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Named constraints so future migrations can address them (FlaskBB extensions.py).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"
csrf = CSRFProtect()


def member_or_address() -> str:
    """Whose rate-limit budget a request spends: the member's when logged in (a country
    office shares one address), else the address's."""
    if current_user.is_authenticated:
        return f"member:{current_user.get_id()}"
    return get_remote_address()


def _any_post_budget() -> str:
    """The budget of every POST without one of its own (forum/web/limits.py names them)."""
    from .web.limits import budget_value  # web imports this module: resolved when first used

    return budget_value("any_post")


limiter = Limiter(key_func=member_or_address, default_limits=[_any_post_budget],
                  default_limits_exempt_when=lambda: request.method != "POST")


# SQLite with several writers (gunicorn workers, the search thread, cron commands): WAL lets
# readers and one writer work at once, and a writer waits up to 30 s for the lock instead of
# failing with "database is locked" (issue 12: 20 concurrent writers, zero 5xx). WAL with
# synchronous=NORMAL loses nothing when a process is killed; only a power cut may drop the
# last commits.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_sqlite(engine) -> None:
    """Switch an SQLite engine to WAL with a busy timeout (other databases are left alone)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.dispose()  # connections opened before the listener do not have it
