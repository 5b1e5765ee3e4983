"""The JSON API: shapes, validation, and permission filtering for guest, member and group member."""
import pytest

from forum.extensions import db
from forum.threads import services
from tests.conftest import _fresh_database
from tests.factories import make_category, make_group, make_user
from tests.forum.search_fixtures import make_app

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def forum_app(request, tmp_path_factory):
    """The forum below, built and encoded once per backend: these tests only read it."""
    folder = tmp_path_factory.mktemp("api")
    url = None if request.param == "sqlite" else _fresh_database(
        request.getfixturevalue("postgres_url"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORUM_INSTANCE_PATH", str(folder / "instance"))
        app = make_app(folder, url)
    with app.app_context():
        build_forum()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def forum(forum_app):
    """The shared forum, inside an app context of the test's own."""
    with forum_app.app_context():
        yield forum_app
        db.session.remove()


def build_forum() -> None:
    """Public, members-only and group-only threads that all mention the same code."""
    member = make_user("member1")
    insider = make_user("insider")
    group = make_group("kenya-team", [insider])
    public = make_category("Procurement")
    lounge = make_category("Lounge", visibility="members")
    team = make_category("Kenya team", visibility="group", group=group)
    services.create_thread(member, public, "Public joint procurement of vehicles",
                           "Long-term agreement LTA-4242 for vehicles.", tags="lta")
    services.create_thread(member, lounge, "Members only vehicle procurement gossip",
                           "Members chat about LTA-4242.")
    services.create_thread(insider, team, "Kenya team vehicle procurement decision",
                           "Internal note on LTA-4242.")
    hidden = services.create_thread(member, public, "Hidden vehicle procurement thread",
                                    "Hidden note on LTA-4242.")
    hidden.is_hidden = True
    db.session.commit()


def login(client, username):
    """Log in through the session directly; the login form has its own tests."""
    from forum import login_sessions
    from forum.models import User
    user = db.session.scalar(db.select(User).where(User.username == username))
    key = login_sessions.start(user)  # the cookie names a server-side session (issue 12)
    with client.session_transaction() as session:
        session["_user_id"] = key
        session["_fresh"] = True


def found(client, url, **kwargs):
    response = client.get(url, **kwargs) if not kwargs.get("json") else client.post(url, **kwargs)
    assert response.status_code == 200, response.get_json()
    return [r["title"] for r in response.get_json()["results"]]


ENDPOINTS = [
    "/api/v1/similar?title=LTA-4242 vehicle procurement&limit=10",
    "/api/v1/search?q=LTA-4242 vehicle procurement&limit=10",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_guest_sees_public_threads_only(forum, url):
    titles = found(forum.test_client(), url)
    assert titles == ["Public joint procurement of vehicles"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_member_sees_members_threads_but_not_the_group(forum, url):
    client = forum.test_client()
    login(client, "member1")
    titles = set(found(client, url))
    assert "Members only vehicle procurement gossip" in titles
    assert "Public joint procurement of vehicles" in titles
    assert "Kenya team vehicle procurement decision" not in titles
    # The author may open their own hidden thread, but search never shows hidden threads.
    assert "Hidden vehicle procurement thread" not in titles


@pytest.mark.parametrize("url", ENDPOINTS)
def test_group_member_sees_the_group_thread(forum, url):
    client = forum.test_client()
    login(client, "insider")
    assert "Kenya team vehicle procurement decision" in found(client, url)


def test_similar_result_shape(forum):
    response = forum.test_client().post("/api/v1/similar", json={
        "title": "How to procure vehicles jointly?", "body": "We want one LTA.", "limit": 1})
    data = response.get_json()
    assert set(data) >= {"results", "took_ms", "mode"}
    assert data["mode"] == "hybrid"
    result = data["results"][0]
    for key in ("id", "title", "url", "score", "category", "kind", "status", "featured",
                "external_id", "snippet"):
        assert key in result
    assert result["url"].startswith(f"/threads/{result['id']}")
    assert 0 <= result["score"] <= 1


def test_search_total_filters_and_pages(forum):
    client = forum.test_client()
    login(client, "member1")
    data = client.get("/api/v1/search?q=LTA-4242&limit=1&page=2").get_json()
    assert data["total"] == 2 and len(data["results"]) == 1
    data = client.get("/api/v1/search?q=LTA-4242&tag=lta").get_json()
    assert [r["title"] for r in data["results"]] == ["Public joint procurement of vehicles"]
    data = client.get("/api/v1/search?q=LTA-4242&category=lounge").get_json()
    assert data["total"] == 1
    assert client.get("/api/v1/search?q=LTA-4242&kind=experience").get_json()["total"] == 0


@pytest.mark.parametrize("request_kwargs, message", [
    ({"path": "/api/v1/similar"}, "title"),
    ({"path": "/api/v1/similar?title=&body=  "}, "title"),
    ({"path": "/api/v1/similar?title=x&limit=0"}, "limit"),
    ({"path": "/api/v1/similar?title=x&limit=101"}, "limit"),
    ({"path": "/api/v1/similar?title=x&limit=five"}, "limit"),
    ({"path": "/api/v1/similar?title=" + "x" * 301}, "title"),
    ({"path": "/api/v1/similar?title=x&category=nope"}, "category"),
    ({"path": "/api/v1/similar", "method": "POST", "data": "{not json",
      "content_type": "application/json"}, "JSON"),
    ({"path": "/api/v1/similar", "method": "POST", "json": ["a list"]}, "JSON"),
    ({"path": "/api/v1/similar", "method": "POST", "json": {"title": 42}}, "title"),
    ({"path": "/api/v1/similar", "method": "POST", "json": {"title": "x", "limit": "9x"}}, "limit"),
    ({"path": "/api/v1/similar", "method": "POST", "json": {"title": "x", "limit": True}}, "limit"),
    ({"path": "/api/v1/similar", "method": "POST", "json": {"body": "b" * 50_001}}, "body"),
    ({"path": "/api/v1/search?q=x&page=0"}, "page"),
    ({"path": "/api/v1/search?q=x&status=maybe"}, "status"),
    ({"path": "/api/v1/search?q=x&since=yesterday"}, "since"),
    ({"path": "/api/v1/search?q=x&featured=perhaps"}, "featured"),
    ({"path": "/api/v1/search?q=" + "x" * 1001}, "q"),
])
def test_bad_input_is_a_400_with_a_message(forum, request_kwargs, message):
    response = forum.test_client().open(**request_kwargs)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


@pytest.mark.parametrize("q", ['"', "AND OR NOT", "*", "((", "😀", "中文 查询", "<script>",
                               "x" * 1000, "   "])
def test_junk_queries_do_not_fail(forum, q):
    response = forum.test_client().get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200
    assert isinstance(response.get_json()["results"], list)


def test_model_unavailable_answers_in_keyword_mode(tmp_path, monkeypatch):
    from forum.extensions import db as _db
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, SEARCH_MODEL=str(tmp_path / "missing-model"))
    with app.app_context():
        member = make_user("member1")
        services.create_thread(member, make_category("Climate"), "Flood early warning",
                               "Code FEW-1 for sirens.")
        data = app.test_client().get("/api/v1/similar?title=FEW-1").get_json()
        assert data["mode"] == "lexical"
        assert [r["title"] for r in data["results"]] == ["Flood early warning"]
        _db.session.remove()
