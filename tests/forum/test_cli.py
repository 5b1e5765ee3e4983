"""Every CLI command, through the app's test runner."""
import json

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Category, Group, Post, Thread, User
from tests.factories import make_group, make_user


def _count(app, column):
    with app.app_context():
        return db.session.scalar(select(func.count(column)))


def _write_jsonl(path, records):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n",
                    encoding="utf-8")
    return str(path)


def test_init_is_idempotent(runner):
    for _ in range(2):
        result = runner.invoke(args=["init"])
        assert result.exit_code == 0 and "Database ready" in result.output


def test_users_create(app, runner):
    result = runner.invoke(args=["users", "create", "Amina", "--password", "long-enough-1",
                                 "--email", "A@example.org", "--role", "moderator"])
    assert result.exit_code == 0, result.output
    assert "Created moderator amina." in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.username, user.email, user.role) == ("amina", "a@example.org", "moderator")
        assert user.check_password("long-enough-1")


@pytest.mark.parametrize("args, code, message", [
    (["amina", "--password", "long-enough-1"], 1, "That name is taken."),
    (["AMINA", "--password", "long-enough-1"], 1, "That name is taken."),
    (["new", "--password", "short"], 1, "at least 8 characters"),
    (["new", "--password", "long-enough-1", "--role", "emperor"], 2, "emperor"),
    (["x", "--password", "long-enough-1"], 1, "3-32"),
    (["new"], 2, "--password"),
])
def test_users_create_failures(app, runner, args, code, message):
    with app.app_context():
        make_user("amina")
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code == code
    assert message in result.output
    assert _count(app, User.id) == 1


def test_groups_create_and_add(app, runner):
    with app.app_context():
        make_user("amina")
    assert runner.invoke(args=["groups", "create", "kenya-team", "--description", "KE"]).exit_code == 0
    duplicate = runner.invoke(args=["groups", "create", "kenya-team"])
    assert duplicate.exit_code == 1 and "exists already" in duplicate.output
    for _ in range(2):  # adding twice is harmless
        result = runner.invoke(args=["groups", "add", "kenya-team", "Amina"])  # any case
        assert result.exit_code == 0 and "Added amina to kenya-team." in result.output
    with app.app_context():
        group = db.session.scalar(select(Group))
        assert [u.username for u in group.members] == ["amina"]


@pytest.mark.parametrize("args, message", [
    (["no-group", "amina"], "no group 'no-group'"),
    (["kenya-team", "nobody"], "no user 'nobody'"),
])
def test_groups_add_unknown(app, runner, args, message):
    with app.app_context():
        make_user("amina")
        make_group("kenya-team")
    result = runner.invoke(args=["groups", "add", *args])
    assert result.exit_code == 1 and message in result.output


@pytest.mark.parametrize("visibility, expected", [
    ("public", ("public", None)), ("members", ("members", None)),
    ("group:kenya-team", ("group", "kenya-team")),
])
def test_categories_create(app, runner, visibility, expected):
    with app.app_context():
        make_group("kenya-team")
    result = runner.invoke(args=["categories", "create", "Pooled funding",
                                 "--visibility", visibility, "--description", "Funds"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        category = db.session.scalar(select(Category))
        assert (category.visibility, category.group.name if category.group else None) == expected
        assert category.slug == "pooled-funding" and category.description == "Funds"


@pytest.mark.parametrize("visibility, message", [
    ("group:nobody", "No group named 'nobody'"),
    ("secret", "Visibility must be public, members or group:NAME."),
])
def test_categories_create_bad_visibility(app, runner, visibility, message):
    result = runner.invoke(args=["categories", "create", "X", "--visibility", visibility])
    assert result.exit_code == 1 and message in result.output
    assert _count(app, Category.id) == 0


def _thread(external_id, **fields):
    record = {"external_id": external_id, "title": f"Thread {external_id} about pooled funds",
              "body": "How did you set it up?", "category": "Pooled funding",
              "author": "amina", "tags": ["pooled-funds"], "country": "Kenya",
              "created_at": "2024-03-01T10:00:00Z",
              "replies": [{"author": "bob", "body": "We used a pass-through.",
                           "created_at": "2024-03-02T10:00:00Z"}]}
    record.update(fields)
    return record


def test_threads_import_good_file(app, runner, tmp_path):
    with app.app_context():
        make_user("amina")
        db.session.add(Category(name="Pooled funding", slug="pooled-funding"))
        db.session.commit()
    path = _write_jsonl(tmp_path / "good.jsonl", [
        _thread("ext-1", accepted_reply=0), "", _thread("ext-2", category=None, replies=[])])
    result = runner.invoke(args=["threads", "import", path, "--category", "Fallback"])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 failed." in result.output
    with app.app_context():
        first = db.session.scalar(select(Thread).where(Thread.external_id == "ext-1"))
        assert first.author.username == "amina" and not first.author.is_placeholder
        assert first.reply_count == 1 and first.status == "solved"
        assert first.accepted_post_id == first.posts[1].id
        assert first.tag_names == ["pooled-funds"] and first.country == "Kenya"
        # The reply's author did not exist: a placeholder keeps the attribution.
        bob = db.session.scalar(select(User).where(User.username == "bob"))
        assert bob.is_placeholder and not bob.check_password("")
        second = db.session.scalar(select(Thread).where(Thread.external_id == "ext-2"))
        assert second.category.name == "Fallback"  # unknown category created (public)
        assert second.category.visibility == "public"


def test_threads_reimport_is_idempotent(app, runner, tmp_path):
    path = _write_jsonl(tmp_path / "a.jsonl", [_thread("ext-1"), _thread("ext-2")])
    assert runner.invoke(args=["threads", "import", path]).exit_code == 0
    with app.app_context():
        ids = dict(db.session.execute(select(Thread.external_id, Thread.id)).all())
    changed = _write_jsonl(tmp_path / "b.jsonl", [
        _thread("ext-1", title="A new title for the first thread", body="Edited body"),
        _thread("ext-2")])
    result = runner.invoke(args=["threads", "import", changed])
    assert result.exit_code == 0 and "0 created, 2 updated, 0 failed." in result.output
    with app.app_context():
        assert dict(db.session.execute(select(Thread.external_id, Thread.id)).all()) == ids
        first = db.session.get(Thread, ids["ext-1"])
        assert first.title == "A new title for the first thread"
        assert first.opening_post.body == "Edited body"
    assert _count(app, Thread.id) == 2 and _count(app, Post.id) == 4
    assert _count(app, User.id) == 2  # placeholders are not duplicated


def test_threads_import_bad_file(app, runner, tmp_path):
    path = _write_jsonl(tmp_path / "bad.jsonl", [
        _thread("ok-1"),
        "{not json",
        _thread("", title="No id"),
        _thread("no-title", title=""),
        _thread("ok-2"),
        _thread("bad-kind", kind="rant"),
        json.dumps([1, 2]),
        _thread("long", title="x" * 201),
        _thread("bad-accept", accepted_reply=5),
        _thread("bad-date", created_at="yesterday"),
    ])
    result = runner.invoke(args=["threads", "import", path])
    assert result.exit_code == 1
    assert "2 created, 0 updated, 8 failed." in result.output
    for line, reason in ((2, "invalid JSON"), (3, "external_id"), (4, "'title'"),
                         (6, "kind must be"), (7, "not a JSON object"), (8, "longer than 200"),
                         (9, "accepted_reply"), (10, "line 10: ")):
        assert f"line {line}: " in result.stderr and reason in result.stderr, (line, result.stderr)
    with app.app_context():
        assert set(db.session.scalars(select(Thread.external_id))) == {"ok-1", "ok-2"}


def test_threads_import_missing_file(runner, tmp_path):
    result = runner.invoke(args=["threads", "import", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.slow
def test_demo_load(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Demo loaded" in result.output and "line " not in result.output  # no bad lines
    assert _count(app, Thread.id) >= 200
    assert _count(app, Post.id) >= 600
    with app.app_context():
        members = db.session.scalar(select(func.count(User.id)).where(User.is_placeholder.is_(False)))
        assert members >= 20
    skipped = runner.invoke(args=["demo", "load", "--if-empty"])
    assert skipped.exit_code == 0 and "skipped" in skipped.output


def test_reimport_keeps_a_moderators_closed_status(app, runner, tmp_path):
    path = _write_jsonl(tmp_path / "a.jsonl", [_thread("ext-1", accepted_reply=0)])
    assert runner.invoke(args=["threads", "import", path]).exit_code == 0
    with app.app_context():
        thread = db.session.scalar(select(Thread).where(Thread.external_id == "ext-1"))
        assert thread.status == "solved"
        thread.status = "closed"
        db.session.commit()
    assert runner.invoke(args=["threads", "import", path]).exit_code == 0
    with app.app_context():
        thread = db.session.scalar(select(Thread).where(Thread.external_id == "ext-1"))
        assert thread.status == "closed"


def test_forum_demo_0_starts_empty(app, runner, monkeypatch):
    monkeypatch.setenv("FORUM_DEMO", "0")
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "skipped" in result.output
    assert _count(app, Thread.id) == 0


@pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_an_author_named_with_capitals_is_one_placeholder_across_imports(app, runner, tmp_path):
    """"Émile Zola" in two archives is one account, shown as written (SQL's lower() folds
    ASCII only, so a second import once looked for "Émile zola" and collided). A name whose
    lowercase is longer ("İ" becomes two characters) still fits the username column."""
    long_name = "İ" * 64
    for n in (1, 2):
        path = _write_jsonl(tmp_path / f"{n}.jsonl", [
            _thread(f"ext-{n}", author="Émile Zola", replies=[]),
            _thread(f"long-{n}", author=long_name, replies=[])])
        result = runner.invoke(args=["threads", "import", path])
        assert result.exit_code == 0 and "2 created" in result.output, result.output
    with app.app_context():
        authors = db.session.execute(select(User.username, User.display_name)
                                     .order_by(User.id)).all()
        assert authors == [("émile zola", "Émile Zola"), (long_name.lower()[:64], long_name)]
