"""Suggestion statistics (issue 13) through HTTP and the CLI, on SQLite and PostgreSQL.

Real model, real FAISS (search_app), real databases. The browser side (what the composer's
JavaScript sends) is in tests/browser/test_suggestion_events.py.
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from flask import current_app
from forum.models import SuggestionDaily, SuggestionEvent, Thread
from forum.models._base import utcnow
from forum.moderation.duplicates import mark_duplicate
from forum.suggestions.report import build_report
from forum.threads import services
from tests.conftest import AuthActions, get_csrf_token
from tests.factories import make_category, make_group, make_user

SESSION_RE = re.compile(r'name="suggestion_session" type="hidden" value="([^"]+)"')
DRAFT_TITLE = "Splitting shared office rent between agencies"
DRAFT_BODY = "How did your country team share the rent of a common office?"


@pytest.fixture
def world(search_app):
    """A poster, a moderator, a public and a group category with threads, the index warm."""
    poster, moderator = make_user("poster"), make_user("mod", role="moderator")
    insider = make_user("insider")
    public = make_category("Business operations")
    private = make_category("Kenya team", "group", make_group("kenya", [insider]))
    author = make_user("author")
    threads = {
        "rent": services.create_thread(author, public, "Common premises: sharing office rent",
                                       "We split rent by headcount across four agencies."),
        "cars": services.create_thread(author, public, "Sharing a vehicle fleet",
                                       "A common fleet of cars for two agencies."),
        "secret": services.create_thread(insider, private, "Kenya team office rent deal",
                                         "Our rent split for the shared office in Nairobi."),
    }
    current_app.extensions["searching"].settle()
    return {"poster": poster, "moderator": moderator, "public": public, **threads}


def composer_session(client) -> str:
    """The session token the server put in the composer form."""
    match = SESSION_RE.search(client.get("/threads/new").get_data(as_text=True))
    assert match, "no suggestion_session field in the composer"
    return match.group(1)


def suggest(client, session, title=DRAFT_TITLE, body=DRAFT_BODY):
    """POST a draft to /api/v1/similar as the composer does; returns the listed thread ids."""
    response = client.post("/api/v1/similar", json={"title": title, "body": body, "session": session})
    assert response.status_code == 200, response.get_data(as_text=True)
    response.close()  # as a WSGI server does once the answer is sent: the listing is written then
    return [r["id"] for r in response.get_json()["results"]]


def event(client, session, kind, **extra):
    return client.post("/api/v1/suggestions/events", json={"session": session, "event": kind, **extra})


def post_thread(client, session, category, title=DRAFT_TITLE, body=DRAFT_BODY):
    """Submit the composer form; returns the new thread."""
    data = {"title": title, "body": body, "category": category.id, "kind": "question",
            "suggestion_session": session, "csrf_token": get_csrf_token(client, "/threads/new")}
    response = client.post("/threads/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(select(Thread).where(Thread.title == title))


def rows(kind=None):
    stmt = select(SuggestionEvent).order_by(SuggestionEvent.id)
    return db.session.scalars(stmt.where(SuggestionEvent.kind == kind) if kind else stmt).all()


def test_composer_events_are_recorded_and_reported(world, search_app):
    client = search_app.test_client()
    AuthActions(client).login("poster")
    session = composer_session(client)
    got = client.get("/api/v1/similar", query_string={"title": DRAFT_TITLE, "session": session})
    assert got.status_code == 200
    got.close()
    assert rows() == []  # a GET (e.g. a cross-site link) records nothing
    listed = suggest(client, session)
    assert world["rent"].id in listed and world["secret"].id not in listed
    suggest(client, session)  # the composer asks again on every pause: no new rows
    assert [(e.thread_id, e.rank) for e in rows("shown")] == [(t, r) for r, t in enumerate(listed, 1)]
    rank = listed.index(world["cars"].id) + 1
    assert event(client, session, "opened", thread_id=world["cars"].id, rank=rank).status_code == 204
    assert event(client, session, "dismissed").status_code == 204
    new = post_thread(client, session, world["public"])
    assert [e.new_thread_id for e in rows("posted")] == [new.id]
    mark_duplicate(world["moderator"], new, world["rent"])
    duplicate = rows("duplicate")[0]
    assert (duplicate.thread_id, duplicate.rank) == (world["rent"].id, listed.index(world["rent"].id) + 1)
    # Only a keyed digest and a length of the draft are kept, never its words.
    for e in rows():
        assert DRAFT_TITLE not in repr(vars(e)) and "rent" not in e.draft_digest
    assert rows("shown")[0].draft_length == len(DRAFT_TITLE) + len(DRAFT_BODY)

    report = build_report(world["moderator"])
    by_rank = {r.rank: (r.shown, r.opened) for r in report.ranks}
    assert by_rank[rank] == (1, 1) and sum(s for s, _ in by_rank.values()) == len(listed)
    assert (report.dismissed, report.posted, report.posted_anyway) == (1, 1, 1)
    assert (report.duplicates_suggested, report.duplicates_missed, report.duplicate_share) == (1, 0, 1.0)
    assert world["cars"] not in [t for t, _ in report.never_opened]
    assert world["rent"] in [t for t, _ in report.never_opened]

    AuthActions(client).logout()
    AuthActions(client).login("mod")
    html = client.get("/moderation/suggestions").get_data(as_text=True)
    assert f"<td>{rank}</td><td>1</td><td>1</td><td>100.0 %</td>" in html
    assert "Common premises: sharing office rent" in html
    output = search_app.test_cli_runner().invoke(args=["search", "report"]).output
    assert f"rank {rank}: 1/1 opened (100.0%)" in output
    assert "Later closed as duplicates: 1 (100.0%); original suggested: 1, not suggested: 0" in output


def test_an_opted_out_member_leaves_no_trace(world, search_app):
    client = search_app.test_client()
    AuthActions(client).login("poster")
    suggest(client, composer_session(client))
    assert rows("shown")
    form = {"suggestion_opt_out": "y", "csrf_token": get_csrf_token(client, "/settings/profile")}
    assert client.post("/settings/profile", data=form).status_code == 302
    assert rows() == []  # opting out deletes what was recorded
    session = composer_session(client)
    listed = suggest(client, session)
    assert event(client, session, "opened", thread_id=listed[0], rank=1).status_code == 204
    assert event(client, session, "dismissed").status_code == 204
    new = post_thread(client, session, world["public"])
    mark_duplicate(world["moderator"], new, world["rent"])
    assert rows() == []
    box = re.search(r'<input[^>]*id="suggestion_opt_out"[^>]*>', client.get("/settings/profile").get_data(as_text=True))
    assert box and "checked" in box.group(0)


def test_the_report_never_names_a_thread_the_viewer_may_not_see(world, search_app):
    client = search_app.test_client()
    AuthActions(client).login("insider")  # sees the group category
    listed = suggest(client, composer_session(client), "Kenya office rent split", "Nairobi rent")
    assert world["secret"].id in listed
    member_view = [t.id for t, _ in build_report(world["poster"]).never_opened]
    assert world["secret"].id not in member_view and world["rent"].id in member_view
    assert world["secret"].id in [t.id for t, _ in build_report(world["moderator"]).never_opened]
    AuthActions(client).logout()
    AuthActions(client).login("poster")
    assert client.get("/moderation/suggestions").status_code == 403


@pytest.mark.parametrize("payload", [
    "not json", {"session": "x" * 20}, {"session": "short", "event": "dismissed"},
    {"session": "x" * 20, "event": "shown"}, {"session": "x" * 20, "event": "opened"},
    {"session": "x" * 20, "event": "opened", "thread_id": "7; drop", "rank": 1},
    {"session": "x" * 20, "event": "opened", "thread_id": 1, "rank": 1},  # never shown
    {"session": ["x"], "event": "dismissed"}, {"session": "x" * 20, "event": {"a": 1}},
])
def test_bad_events_are_400_json(world, search_app, payload):
    client = search_app.test_client()
    AuthActions(client).login("poster")
    if isinstance(payload, str):
        response = client.post("/api/v1/suggestions/events", data=payload)
    else:
        response = client.post("/api/v1/suggestions/events", json=payload)
    assert response.status_code == 400 and "error" in response.get_json()
    assert rows() == []


def test_prune_folds_old_events_into_daily_counts(world, search_app):
    client = search_app.test_client()
    AuthActions(client).login("poster")
    session = composer_session(client)
    listed = suggest(client, session)
    event(client, session, "opened", thread_id=listed[0], rank=1)
    post_thread(client, session, world["public"])
    before = build_report(world["moderator"])
    old = utcnow() - timedelta(days=search_app.config["SUGGESTION_LOG_DAYS"] + 1)
    db.session.execute(SuggestionEvent.__table__.update().values(created_at=old))
    db.session.commit()
    runner = search_app.test_cli_runner()
    result = runner.invoke(args=["search", "report", "--prune"])
    assert result.exit_code == 0 and f"Folded {len(listed) + 2} event(s)" in result.output
    assert rows() == []
    after = build_report(world["moderator"])
    assert (after.ranks, after.posted, after.posted_anyway) == (before.ranks, before.posted, before.posted_anyway)
    assert after.never_opened == []  # thread names go with the raw events
    days = db.session.scalar(select(func.sum(SuggestionDaily.count)))
    assert "Folded 0 event(s)" in runner.invoke(args=["search", "report", "--prune"]).output
    assert db.session.scalar(select(func.sum(SuggestionDaily.count))) == days  # cron-safe


@pytest.mark.slow
def test_missed_duplicates_export_feeds_search_evaluate(world, search_app, tmp_path):
    """`search report --export DIR` writes what `search evaluate DIR` reads; public pairs only."""
    from search.evaluation import load_dataset

    client = search_app.test_client()
    AuthActions(client).login("poster")
    missed = post_thread(client, composer_session(client), world["public"],
                         "How should four agencies divide the rent?", "Premises cost sharing.")
    mark_duplicate(world["moderator"], missed, world["rent"])  # nothing was listed: a miss
    AuthActions(client).logout()
    AuthActions(client).login("insider")
    private = db.session.get(Thread, world["secret"].id).category
    hidden = post_thread(client, composer_session(client), private,
                         "Nairobi office rent split again", "Same question as before.")
    mark_duplicate(world["moderator"], hidden, world["secret"])  # restricted: never exported
    folder = tmp_path / "missed"
    result = search_app.test_cli_runner().invoke(args=["search", "report", "--export", str(folder)])
    assert result.exit_code == 0 and "Exported 1 missed duplicate(s) against 2 thread(s)" in result.output
    dataset = load_dataset(folder)
    assert [q.qid for q in dataset.queries] == [f"T{missed.id}"]
    assert dataset.qrels == {f"T{missed.id}": {f"T{world['rent'].id}": 2}}
    assert {t.external_id for t in dataset.threads} == {f"T{world['rent'].id}", f"T{world['cars'].id}"}
    assert dataset.candidates[f"T{missed.id}"] == [f"T{world['rent'].id}"]
    files = " ".join(p.read_text() for p in folder.iterdir())
    assert not any(name in files for name in ("poster", "insider", "author", "Nairobi"))
    result = search_app.test_cli_runner().invoke(args=["search", "evaluate", str(folder)])
    assert result.exit_code == 0, result.output
    assert re.search(r"\| hybrid \| 100\.00 \|", result.output), result.output
