"""Property-based fuzzing of the JSON API (issue 12): never a 5xx, and every refusal is a
4xx JSON answer with an "error" message. Search is on, with the real model, so the
similar-thread and search paths run for real. Derandomised: every run is the same."""
import json

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import BACKENDS
from tests.security.conftest import teardown_app
from tests.security.test_fuzz_forms import NASTY

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEARCH_PARAMS = ["q", "limit", "page", "sort", "category", "tag", "country", "kind", "status",
                 "featured", "since", "until", "outcome", "theme", "period"]
SIMILAR_FIELDS = ["title", "body", "category", "limit", "session"]
EVENT_FIELDS = ["session", "event", "thread_id", "rank"]
GOOD = {"sort": ["relevance", "new", "old", "activity"], "kind": ["question", "experience"],
        "status": ["open", "solved", "closed", "unanswered"], "featured": ["1", "0", "true"],
        "outcome": ["worked", "partly", "did_not_work", "too_early"],
        "period": ["2024", "2022-2024", "2024-2022", "0-99999"],
        "since": ["2024-01-01", "2024-01-01T00:00:00Z", "9999-12-31", "0001-01-01"],
        "until": ["2024-12-31", "9999-12-31", "10000-01-01"],
        "event": ["opened", "dismissed", "shown", ""]}

text = st.one_of(st.text(max_size=120), st.sampled_from(NASTY),
                 st.integers(min_value=-2**70, max_value=2**70).map(str))
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                      st.floats(allow_nan=True, allow_infinity=True), text)
any_json = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)


def _params(names):
    """Some of these parameters, each a plausible or a nasty value."""
    return st.dictionaries(st.sampled_from(names), st.one_of(
        text, st.sampled_from(sum(GOOD.values(), []))), max_size=6)


def _json_body(names):
    """A JSON object with some known keys (any JSON values) and maybe junk keys."""
    return st.one_of(st.dictionaries(st.sampled_from(names), any_json, max_size=5), any_json)


@pytest.fixture(scope="module", params=BACKENDS)
def api(request, tmp_path_factory):
    """Clients of a search-enabled world: a guest and a signed-in member (SQLite, PostgreSQL)."""
    from tests.security.conftest import make_world_app, role_clients, world_database
    app, world = make_world_app(tmp_path_factory, world_database(request))
    clients = role_clients(app)
    yield clients["guest"], clients["member"], world.scopes["public"].thread
    teardown_app(app)


def _ok(response, what):
    """Never a 5xx; a 4xx is JSON with an error message."""
    status = response.status_code
    assert status < 500, (what, status, response.get_data(as_text=True)[:300])
    if status >= 400:
        answer = response.get_json(silent=True)
        assert isinstance(answer, dict) and answer.get("error"), (what, status)


@FUZZ
@given(params=_params(SEARCH_PARAMS), member=st.booleans())
def test_search_api(api, params, member):
    response = api[member].get("/api/v1/search", query_string=params)
    _ok(response, params)


@FUZZ
@given(params=_params(SIMILAR_FIELDS), member=st.booleans())
def test_similar_get(api, params, member):
    _ok(api[member].get("/api/v1/similar", query_string=params), params)


@FUZZ
@given(body=_json_body(SIMILAR_FIELDS), member=st.booleans())
def test_similar_post(api, body, member):
    _ok(api[member].post("/api/v1/similar", json=body), body)


@FUZZ
@given(body=_json_body(EVENT_FIELDS), member=st.booleans())
def test_suggestion_events(api, body, member):
    _ok(api[member].post("/api/v1/suggestions/events", json=body), body)


@FUZZ
@given(body=_json_body(["body", "reply_to", "title"]), member=st.booleans(),
       bearer=st.sampled_from(["", "Bearer ", "Bearer x", "Bearer " + "a" * 5000, "Basic Zm9v"]))
def test_replies_api(api, body, member, bearer):
    headers = {"Authorization": bearer} if bearer else {}
    _ok(api[member].post(f"/api/v1/threads/{api[2]}/replies", json=body, headers=headers), body)


@pytest.mark.parametrize("path", ["/api/v1/similar", "/api/v1/suggestions/events"])
@pytest.mark.parametrize("raw", [
    b"", b"{", b"null", b"[]", b'"x"', b"1e999999", b'{"title": "\\ud800"}', b"\xff\xfe",
    b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000,
    json.dumps({"title": "x" * 400_000}).encode(),
])
def test_malformed_json_bodies(api, path, raw):
    """Broken, deeply nested and oversized JSON: a 4xx with a message, never a 500."""
    for client in api[:2]:
        response = client.post(path, data=raw, content_type="application/json")
        _ok(response, (path, raw[:40]))
