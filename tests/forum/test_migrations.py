"""Migrations build exactly the models' schema, and upgrade earlier databases with their data."""
import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from forum import create_app
from forum.accounts import name_key
from forum.extensions import db
from forum.schema import BASELINE, upgrade_database
from tests.conftest import _fresh_database

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def bare_app(request, tmp_path, monkeypatch):
    """An app on an empty database: no create_all, the migrations must build it."""
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    if request.param == "postgres":
        url = _fresh_database(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path / 'forum.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url,
                      "SEARCH_ENABLED": False})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def head_revision(app) -> str:
    """The newest revision in forum/migrations."""
    config = app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision() -> str:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_build_the_models_schema(bare_app):
    upgrade_database()
    assert current_revision() == head_revision(bare_app)
    assert schema_differences() == []  # a model change without its migration fails here


def test_init_upgrades_a_database_made_before_migrations(bare_app):
    # How databases were made before migrations existed: the baseline's tables, no
    # alembic_version row (create_all would build today's models, tables of later
    # migrations included, which no such database has).
    flask_migrate.upgrade(revision=BASELINE)
    db.session.execute(text("DROP TABLE alembic_version"))
    db.session.commit()
    db.session.execute(text("INSERT INTO users (username, display_name, organisation, country, "
                            "expertise, bio, role, is_placeholder, suspended_reason, created_at) "
                            "VALUES ('old', '', '', '', '', '', 'member', false, '', "
                            "CURRENT_TIMESTAMP)"))
    db.session.commit()
    result = bare_app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert current_revision() == head_revision(bare_app)
    assert db.session.scalar(text("SELECT username FROM users")) == "old"
    assert bare_app.test_cli_runner().invoke(args=["init"]).exit_code == 0  # idempotent


def test_init_stamps_a_database_made_by_todays_create_all(bare_app):
    db.create_all()  # tests and scripts: every table of today's models, no alembic_version
    result = bare_app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output  # no later migration replayed over its tables
    assert current_revision() == head_revision(bare_app)
    # (No full schema comparison: after a PostgreSQL create_all in the same process, SQLite's
    # create_all leaves out the use_alter foreign key threads.accepted_post_id; that is
    # SQLAlchemy's business, not the migrations'.)
    assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())


def test_upgrade_from_the_first_migration_keeps_the_data(bare_app):
    flask_migrate.upgrade(revision=BASELINE)
    fill_baseline()
    db.session.execute(text("UPDATE threads SET country = '  TÜRKIYE '"))
    db.session.commit()
    upgrade_database()
    assert current_revision() == head_revision(bare_app)
    rows = db.session.execute(text(
        "SELECT t.title, p.body, u.username FROM threads t JOIN posts p ON p.thread_id = t.id "
        "JOIN users u ON u.id = t.author_id")).all()
    assert rows == [("Pooled fund set-up", "How did you start?", "amina")]
    # 0021: countries are compared by their stored key.
    assert db.session.execute(text("SELECT country, country_key FROM threads")).all() == [
        ("  TÜRKIYE ", "türkiye")]
    # 0020: the name keys of existing members are filled in; names and addresses are
    # stored lowercase (Python's lowercase, as the app compares them).
    assert db.session.execute(text(
        "SELECT username, email, username_key, display_key FROM users ORDER BY id")).all() == [
        ("amina", None, name_key("amina"), ""),
        ("émile zola", "emile@example.org", name_key("Émile Zola"), "")]
    assert db.session.scalar(text("SELECT count(*) FROM thread_embeddings")) == 1
    # 0002: every thread goes on the search queue, so the worker re-derives the index.
    assert db.session.scalar(text("SELECT thread_id FROM search_queue")) == 1
    assert schema_differences() == []


def fill_baseline() -> None:
    """Rows written with the first migration's columns only (plain SQL, not today's models)."""
    for statement in (
        "INSERT INTO users (id, username, display_name, organisation, country, expertise, bio, "
        "role, is_placeholder, suspended_reason, created_at) VALUES (1, 'amina', '', '', '', "
        "'', '', 'member', false, '', CURRENT_TIMESTAMP)",
        # An imported author, written with capitals before names were stored lowercase.
        "INSERT INTO users (id, username, email, display_name, organisation, country, expertise, "
        "bio, role, is_placeholder, suspended_reason, created_at) VALUES (3, 'Émile Zola', "
        "'Emile@Example.org', '', '', '', '', '', 'member', true, '', CURRENT_TIMESTAMP)",
        "INSERT INTO categories (id, name, slug, description, visibility, position) "
        "VALUES (1, 'Funding', 'funding', '', 'public', 0)",
        "INSERT INTO threads (id, title, kind, country, status, category_id, author_id, "
        "created_at, last_activity_at, reply_count, is_hidden, hidden_reason) VALUES "
        "(1, 'Pooled fund set-up', 'question', '', 'open', 1, 1, CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP, 0, false, '')",
        "INSERT INTO posts (id, thread_id, author_id, body, is_opening, created_at, is_hidden, "
        "hidden_reason) VALUES (1, 1, 1, 'How did you start?', true, CURRENT_TIMESTAMP, false, '')",
        "INSERT INTO thread_embeddings (thread_id, field, model_id, text_digest, vector, "
        "updated_at) VALUES (1, 'main', 'm', 'd', :blob, CURRENT_TIMESTAMP)",
    ):
        db.session.execute(text(statement), {"blob": b"\0" * 16} if ":blob" in statement else {})
    db.session.commit()


def test_0011_turns_stored_notification_texts_into_references(bare_app):
    """Notices written before issue 11 lose their frozen titles, keeping kind and reason."""
    flask_migrate.upgrade(revision=BASELINE)
    fill_baseline()
    for statement in (
        "INSERT INTO users (id, username, display_name, organisation, country, expertise, bio, "
        "role, is_placeholder, suspended_reason, created_at) VALUES (2, 'bob', '', '', '', '', "
        "'', 'member', false, '', CURRENT_TIMESTAMP)",
        "INSERT INTO threads (id, title, kind, country, status, category_id, author_id, "
        "created_at, last_activity_at, reply_count, is_hidden, hidden_reason, duplicate_of_id) "
        "VALUES (2, 'Copy', 'question', '', 'closed', 1, 2, CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP, 0, false, '', 1)",
    ):
        db.session.execute(text(statement))
    legacy = [
        (1, "Your post in “Pooled fund set-up” was hidden by a moderator: Advertising",
         "/threads/1#post-1"),
        (1, "Thank you for your flag in “Pooled fund set-up”: a moderator hid the post.",
         "/threads/1#post-1"),
        (2, "Your thread “Copy” was closed as a duplicate of “Pooled fund set-up”.", "/threads/1"),
        (1, "Your account is suspended until 2030-01-01: spam", ""),
        (1, "Something unusual about “Pooled fund set-up”.", "/threads/1"),
        (1, "A thread that is gone.", "/threads/99"),
    ]
    for user_id, note, url in legacy:
        db.session.execute(text("INSERT INTO notifications (user_id, text, url, created_at) "
                                "VALUES (:u, :t, :l, CURRENT_TIMESTAMP)"),
                           {"u": user_id, "t": note, "l": url})
    db.session.commit()
    upgrade_database()
    assert schema_differences() == []
    rows = db.session.execute(text("SELECT user_id, kind, thread_id, post_id, detail FROM "
                                   "notifications ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        (1, "post_hidden", 1, 1, "Advertising"),
        (1, "flag_outcome", 1, 1, "a moderator hid the post"),
        (2, "duplicate", 2, None, ""),  # the member's own thread, not the original's title
        (1, "notice", None, None, "Your account is suspended until 2030-01-01: spam"),
        (1, "notice", 1, None, "Something unusual about “Pooled fund set-up”."),
    ]  # the notice about a thread that no longer exists is not kept: nothing can gate it


def test_0022_stores_country_watches_by_their_key(bare_app):
    """A member's watches of one country in several spellings become one, watching if any was."""
    flask_migrate.upgrade(revision="0021")
    fill_baseline()
    db.session.execute(text(
        "INSERT INTO users (id, username, display_name, organisation, country, expertise, bio, "
        "role, is_placeholder, suspended_reason, created_at) VALUES (2, 'bob', '', '', '', '', "
        "'', 'member', false, '', CURRENT_TIMESTAMP)"))
    for user_id, kind, value, level in ((1, "country", "KENYA ", "watching"),
                                        (1, "country", "kenya", "muted"),
                                        (1, "country", "Kenya", "muted"),
                                        (2, "country", "  TÜRKIYE", "watching"),
                                        (2, "tag", "Pooled", "watching")):
        db.session.execute(text(
            "INSERT INTO watches (user_id, kind, value, level, created_at) "
            "VALUES (:u, :k, :v, :l, CURRENT_TIMESTAMP)"), {"u": user_id, "k": kind, "v": value,
                                                             "l": level})
    db.session.commit()
    upgrade_database()
    assert db.session.execute(text(
        "SELECT user_id, kind, value, level FROM watches ORDER BY user_id, kind")).all() == [
        (1, "country", "kenya", "watching"), (2, "country", "türkiye", "watching"),
        (2, "tag", "Pooled", "watching")]
