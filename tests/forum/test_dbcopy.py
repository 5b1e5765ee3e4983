"""`flask copy-to URL`: a SQLite forum moves to PostgreSQL with every id and row kept."""
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select

from forum import audit, create_app
from forum.extensions import db
from forum.models import (
    Notification, OutboxMessage, Thread, ThreadEmbedding, ThreadRead, User, Watch,
)
from forum.models._base import utcnow
from forum.schema import upgrade_database
from tests.conftest import AuthActions, _fresh_database
from tests.factories import (
    make_bookmark, make_category, make_featured, make_group, make_reply, make_thread,
    make_user, make_vote,
)
from tests.forum.search_fixtures import make_app

pytestmark = pytest.mark.postgres


def fill(app) -> None:
    """A small forum touching every kind of row: ids with gaps, references both ways."""
    with app.app_context():
        upgrade_database()  # stamps the create_all database at the current migration
        amina = make_user("amina", email="amina@example.org", display_name="Amina Diallo")
        bob, mod = make_user("bob"), make_user("helen", role="moderator")
        gone = make_user("gone")
        team = make_group("Kenya team", [amina])
        public, room = make_category("Funding"), make_category("Team room", "group", team)
        first = make_thread(amina, public, "How did you set up a pooled fund?",
                            "We start one next year.\x00", country="Kenya", tags=("pooled-funds",))
        answer = make_reply(bob, first, "Here is what we did.", accepted=True)
        make_reply(amina, first, "Thanks!").reply_to_id = answer.id
        copy = make_thread(bob, public, "Pooled fund set-up, again", "Same question.",
                           status="closed")
        copy.duplicate_of_id = first.id
        make_thread(amina, room, "Kenya team budget for the next cycle", "Draft numbers.")
        make_thread(bob, public, "Hidden one", "Spam.", hidden=True)
        make_vote(amina, answer)
        make_bookmark(bob, first)
        make_featured(first, mod)
        audit.record(mod, "hide_thread", "thread", copy.id, reason="Spam")
        db.session.add_all([
            Notification(user_id=amina.id, kind="reply", thread_id=first.id, post_id=answer.id,
                         actor_id=bob.id, read_at=utcnow()),
            Watch(user_id=bob.id, kind="thread", value=str(first.id)),
            ThreadRead(user_id=bob.id, thread_id=first.id),
            OutboxMessage(user_id=amina.id, kind="reply",
                          next_attempt_at=utcnow() + timedelta(minutes=1)),
        ])
        db.session.delete(gone)  # a gap in the user ids
        db.session.commit()
        app.extensions["searching"].settle()


def rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, as Python values."""
    with engine.connect() as conn:
        return {table.name: [tuple(r) for r in conn.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for table in db.metadata.sorted_tables}


@pytest.fixture
def source(tmp_path, monkeypatch):
    """A SQLite forum with search on (embeddings stored), at the current migration."""
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path)
    fill(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_copy_keeps_every_row_and_the_copy_serves(source, postgres_url, tmp_path):
    target_url = _fresh_database(postgres_url)
    result = source.test_cli_runner().invoke(args=["copy-to", target_url])
    assert result.exit_code == 0, result.output
    assert "threads: 4 rows" in result.output and "thread_embeddings:" in result.output
    assert "1 text value(s) had NUL characters" in result.output

    with source.app_context():
        before = rows(db.engine)
    target = create_engine(target_url)
    after = rows(target)
    target.dispose()
    assert after.keys() == before.keys()
    before["search_state"] = [(*row[:2], "", None) for row in before["search_state"]]  # lease
    assert sorted(r[1] for r in after.pop("search_queue")) == [1, 2, 3, 4]  # texts may have changed
    before.pop("search_queue")
    for name in before:  # every id and value, the one NUL character aside
        expected = [tuple(v.replace("\x00", "") if isinstance(v, str) else v for v in row)
                    for row in before[name]]
        assert after[name] == expected, name
    for name in ("users", "threads", "posts", "votes", "thread_embeddings", "audit_log",
                 "notifications", "search_documents", "mail_outbox"):
        assert after[name], f"{name} has no rows to compare"

    # The copied forum serves: logins, pages, new rows with fresh ids, and search.
    copied = make_app(tmp_path / "copied", target_url, WTF_CSRF_ENABLED=True)
    with copied.app_context():
        client = copied.test_client()
        assert AuthActions(client).login("amina").status_code == 302
        page = client.get("/threads/1").get_data(as_text=True)
        assert "How did you set up a pooled fund?" in page and "Here is what we did." in page
        newest = make_thread(db.session.get(User, 1), db.session.get(Thread, 1).category,
                             "A question asked after the move", "Does the new id collide?")
        assert newest.id == max(r[0] for r in before["threads"]) + 1
        assert db.session.scalar(select(ThreadEmbedding.thread_id).where(
            ThreadEmbedding.thread_id == newest.id).limit(1)) == newest.id
        verify = copied.test_cli_runner().invoke(args=["search", "verify"])
        assert verify.exit_code == 0, verify.output
        db.session.remove()
        db.engine.dispose()


def test_copy_refuses_a_target_that_is_not_empty(source, postgres_url):
    target_url = _fresh_database(postgres_url)
    runner = source.test_cli_runner()
    assert runner.invoke(args=["copy-to", target_url]).exit_code == 0
    again = runner.invoke(args=["copy-to", target_url])
    assert again.exit_code != 0 and "not empty" in again.output
    target = create_engine(target_url)
    with target.connect() as conn:  # the first copy is untouched
        assert conn.scalar(select(func.count()).select_from(db.metadata.tables["users"])) == 3
    target.dispose()


def test_copy_refuses_an_old_source_and_a_target_that_is_not_postgresql(tmp_path, monkeypatch,
                                                                           postgres_url):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SEARCH_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}"})
    with app.app_context():
        db.create_all()  # tables, but no migration stamp: run `flask init` first
    result = app.test_cli_runner().invoke(args=["copy-to", _fresh_database(postgres_url)])
    assert result.exit_code != 0 and "flask --app forum init" in result.output
    result = app.test_cli_runner().invoke(args=["copy-to", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code != 0 and "must be a PostgreSQL URL" in result.output
    with app.app_context():
        db.engine.dispose()
