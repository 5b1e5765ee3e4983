"""The query side: a fixed number of statements per result list, a bounded over-fetch,
id lists every database accepts."""
import threading

import pytest
from sqlalchemy import event

from forum import searching
from forum.extensions import db
from forum.searching import queries
from tests.factories import make_category, make_group, make_reply, make_thread, make_user
from tests.forum.search_fixtures import make_app
from tests.orm_loads import loads_here


class Statements:
    """Every SQL statement the app's engine runs for this thread (requests of the test
    client run on it) while counting."""

    def __init__(self, engine):
        self.engine, self.seen, self.thread = engine, [], threading.get_ident()

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == self.thread:
            self.seen.append((statement, parameters))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


def api_statements(app, limit: int) -> int:
    client = app.test_client()
    client.post("/api/v1/similar", json={"title": "pooled fund", "limit": limit})  # warm
    with Statements(db.engine) as counter:
        answer = client.post("/api/v1/similar", json={"title": "pooled fund", "limit": limit})
    assert answer.status_code == 200 and len(answer.get_json()["results"]) == limit
    return len(counter.seen)


def test_a_result_list_costs_the_same_statements_however_long(search_app):
    member, public = make_user("member1"), make_category("Funding")
    with search_app.extensions["searching"].paused():
        for n in range(60):
            thread = make_thread(member, public, f"Pooled fund question {n}",
                                 f"How did you set up pooled fund {n}?", tags=(f"t{n}",))
            make_reply(member, thread, "Several replies…")
            make_reply(member, thread, "…that must not be loaded.")
    search_app.extensions["searching"].settle()
    # Each hit reads its category, tags, featured state and opening post: preloaded, no N+1.
    assert api_statements(search_app, 50) == api_statements(search_app, 5)


@pytest.fixture
def keyword_app(tmp_path, monkeypatch):
    """Keyword search only (no model): thousands of threads index in seconds."""
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, SEARCH_MODEL=str(tmp_path / "no-model"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_the_over_fetch_stops_at_a_cap_with_short_id_lists(monkeypatch, keyword_app):
    outsider, insider = make_user("outsider"), make_user("insider")
    team = make_category("Team", visibility="group", group=make_group("team", [insider]))
    with keyword_app.extensions["searching"].paused():
        for n in range(queries.MAX_CANDIDATES + 300):
            make_thread(insider, team, f"Team note {n}", "Shared code TEAMCODE.")
    keyword_app.extensions["searching"].settle()
    asked = []
    view = keyword_app.extensions["searching"].view
    real = type(view).similar
    monkeypatch.setattr(type(view), "similar",
                        lambda self, *a, **kw: asked.append(kw["k"]) or real(self, *a, **kw))
    with Statements(db.engine) as counter:
        assert searching.similar_threads(outsider, "TEAMCODE", limit=5, mode="lexical") == []
    assert max(asked) == queries.MAX_CANDIDATES  # widened, but never past the cap
    assert max(len(p) if isinstance(p, (list, tuple)) else len(p or {})
               for _, p in counter.seen) <= queries.IN_CHUNK + 10
    assert len(searching.similar_threads(insider, "TEAMCODE", limit=5, mode="lexical")) == 5


def test_limit_100_builds_rows_only_for_the_results_it_shows(keyword_app):
    """The over-fetched candidates are ranked on columns; the API reads its 100 result lines as
    columns (no ORM objects), pages get Thread objects for the shown hits only, each with its
    opening post alone (no replies); a fixed number of statements however long the list."""
    from forum.models import Post, Thread

    member, public = make_user("member1"), make_category("Funding")
    with keyword_app.extensions["searching"].paused():
        for n in range(130):
            thread = make_thread(member, public, f"Pooled fund question {n}",
                                 f"How did you set up **pooled fund** {n}?", tags=(f"t{n}", "fund"))
            make_reply(member, thread, "A reply that must not be loaded.")
    keyword_app.extensions["searching"].settle()
    with loads_here(Thread, Post) as loads:
        statements = api_statements(keyword_app, 100)
        assert (len(loads[Thread]), len(loads[Post])) == (0, 0)
        db.session.expunge_all()
        hits = searching.similar_threads(make_user("reader"), "pooled fund", limit=100)
        assert len(hits) == 100  # of 130 candidates
        assert (len(loads[Thread]), len(loads[Post])) == (100, 100)
    assert statements == api_statements(keyword_app, 5)
    lines = keyword_app.test_client().post("/api/v1/similar", json={
        "title": "pooled fund", "limit": 100}).get_json()["results"]
    first = next(line for line in lines if line["title"] == "Pooled fund question 7")
    assert first["snippet"] == "How did you set up pooled fund 7?"
    assert first["category"] == "Funding" and first["replies"] == 1 and not first["featured"]


def test_statements_kept_per_visibility_never_answer_for_another_viewer(keyword_app):
    """Suggestions and their evidence reuse one prepared statement per visibility key
    (permissions.prepared): asked in turn by viewers who see different threads, each gets
    exactly their own, and a member who joins a group sees its threads at once."""
    from flask_login import AnonymousUserMixin

    from forum.learning.evidence import thread_evidence

    insider, outsider, author = make_user("insider"), make_user("outsider"), make_user("author")
    moderator = make_user("moderator", role="moderator")
    team_group = make_group("team", [insider])
    team = make_category("Team", visibility="group", group=team_group)
    public = make_category("Public")
    with keyword_app.extensions["searching"].paused():
        shared = make_thread(author, public, "ZEBRACODE shared", "Everyone reads ZEBRACODE.")
        inside = make_thread(insider, team, "ZEBRACODE team", "The team's ZEBRACODE.")
        hidden = make_thread(author, public, "ZEBRACODE hidden", "Hidden ZEBRACODE.", hidden=True)
    keyword_app.extensions["searching"].settle()
    every = {shared.id, inside.id, hidden.id}
    # Evidence: what each may read (the author their own hidden thread). Suggestions: the same,
    # less the hidden thread, which is never indexed.
    expected = {"insider": {shared.id, inside.id}, "outsider": {shared.id},
                "author": {shared.id, hidden.id}, "moderator": every, "guest": {shared.id}}
    viewers = {"insider": insider, "outsider": outsider, "author": author,
               "moderator": moderator, "guest": AnonymousUserMixin()}

    def found(viewer, **kw):
        return {h.thread.id for h in searching.similar_threads(viewer, "ZEBRACODE", limit=10,
                                                                mode="lexical", light=True, **kw)}

    for order in (list(viewers), list(reversed(viewers)), ["moderator", "guest", "insider",
                                                          "outsider", "author"]):
        for name in order:
            assert found(viewers[name]) == expected[name] - {hidden.id}, name
            assert set(thread_evidence(viewers[name], every)) == expected[name], name
            assert found(viewers[name], category_id=team.id) == expected[name] & {inside.id}, name
    team_group.members.append(outsider)
    db.session.commit()
    assert found(outsider) == {shared.id, inside.id}
    assert set(thread_evidence(outsider, every)) == {shared.id, inside.id}
    assert found(outsider, category_id=team.id) == {inside.id}
