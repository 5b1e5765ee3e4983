"""Issue 12: every route that writes or runs the model has a budget; going over it answers 429
with Retry-After and the site's error page (JSON for the API)."""
import re

import pytest

from forum.web.limits import BUDGETS
from tests.factories import make_category, make_reply, make_thread, make_user

TWO = {name: "2 per minute" for name in BUDGETS}
# The catch-all budgets are larger, so a route that lost its own budget is noticed.
NAMED = {**TWO, "any_post": "5 per minute", "api": "5 per minute"}
LIMITED = pytest.mark.app_config(RATELIMIT_ENABLED=True, RATE_LIMITS=NAMED)


@pytest.fixture
def world(app):
    """amina's thread (id 1) with omar's reply (post 2)."""
    with app.app_context():
        amina = make_user("amina", email="amina@example.org")
        make_user("omar")
        thread = make_thread(amina, make_category("Funding"), "Pooled funds in Senegal",
                             "How did you start?")
        make_reply(make_user("jonas"), thread, "Like this.")


def _post(client, csrf_token, url, page=None, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, page or "/"), **data})


def _thread_form(kind):
    fields = {"title": "How do we pool funds?", "body": "Our team wants one.", "category": "1",
              "kind": "question"}
    fields[kind] = "1"
    return fields


# name -> (who, how to spend one unit of the budget)
CASES = {
    "thread": ("amina", lambda c, t: _post(c, t, "/threads/new", "/threads/new",
                                           **_thread_form("submit"))),
    "check": ("amina", lambda c, t: _post(c, t, "/threads/new", "/threads/new",
                                          **_thread_form("check"))),
    "reply": ("amina", lambda c, t: _post(c, t, "/threads/1/reply", body="A reply.")),
    "thread_page": (None, lambda c, t: c.get("/threads/1")),
    "search_page": (None, lambda c, t: c.get("/search?q=funds")),
    "flag": ("amina", lambda c, t: _post(c, t, "/posts/2/flag", "/posts/2/flag",
                                         reason="spam", note="")),
    "vote": ("amina", lambda c, t: _post(c, t, "/posts/2/helpful")),
    "bookmark": ("amina", lambda c, t: _post(c, t, "/threads/1/save")),
    "profile": ("amina", lambda c, t: _post(c, t, "/settings/profile", "/settings/profile",
                                            display_name="Amina")),
    "register": (None, lambda c, t: _post(c, t, "/register", "/register", username="x",
                                          password="a-long-password-1",
                                          confirm="a-long-password-1")),
    "password_reset": (None, lambda c, t: _post(c, t, "/reset", "/login",
                                                email="amina@example.org")),
    "any_post": ("amina", lambda c, t: _post(c, t, "/notifications/read")),
    "api": ("amina", lambda c, t: c.post("/api/v1/suggestions/events", json={})),
}


def _assert_429_page(response):
    assert response.status_code == 429
    if response.is_json:
        assert "Too many" in response.get_json()["error"]
        return
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert "Too many attempts" in html and '<nav class="sidebar"' in html


@LIMITED
@pytest.mark.parametrize("name", sorted(CASES))
def test_each_budget_answers_429_with_retry_after(app, client, auth, csrf_token, world, name):
    who, spend = CASES[name]
    if who:
        assert auth.login(who).status_code == 302
    for _ in range(int(NAMED[name].split()[0])):
        assert spend(client, csrf_token).status_code != 429, name
    _assert_429_page(spend(client, csrf_token))


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATE_LIMITS=TWO, AUTH_RATE_LIMIT="2 per minute")
def test_every_post_route_has_a_budget(app, client, auth, csrf_token, world):
    """Taken from the url_map: a POST route added later is limited without a decorator."""
    assert auth.login("amina").status_code == 302
    token = csrf_token(client, "/")
    routes = [re.sub(r"<int:\w+>", "1", re.sub(r"<(?!int:)[^>]+>", "x", rule.rule))
              for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(routes) > 40
    for url in routes:
        if url == "/logout":
            continue  # it would end the session the other routes need
        answers = [client.post(url, data={"csrf_token": token}).status_code for _ in range(3)]
        assert answers[2] == 429, (url, answers)
        assert 500 not in answers, (url, answers)


def test_every_budget_has_a_test():
    assert set(CASES) | {"model_api"} == set(BUDGETS)


@LIMITED
def test_the_two_model_endpoints_share_one_budget(client, world):
    assert client.get("/api/v1/similar?title=funds").status_code == 200
    assert client.post("/api/v1/similar", json={"title": "funds"}).status_code == 200
    response = client.get("/api/v1/search?q=funds")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many" in response.get_json()["error"]
    assert client.get("/api/v1/similar?title=funds").status_code == 429


@LIMITED
def test_replies_from_the_page_and_the_api_share_one_budget(client, auth, csrf_token, world):
    auth.login("amina")
    token = csrf_token(client, "/threads/1")
    api_reply = lambda: client.post("/api/v1/threads/1/replies", json={"body": "Via the API."},
                                    headers={"X-CSRFToken": token})
    assert CASES["reply"][1](client, csrf_token).status_code == 302
    assert api_reply().status_code == 201
    response = api_reply()
    assert response.status_code == 429 and "Too many" in response.get_json()["error"]
    assert CASES["reply"][1](client, csrf_token).status_code == 429


@LIMITED
def test_posting_and_checking_have_separate_budgets(app, client, auth, csrf_token, world):
    auth.login("amina")
    check = CASES["check"][1]
    for _ in range(2):
        check(client, csrf_token)
    assert check(client, csrf_token).status_code == 429
    assert CASES["thread"][1](client, csrf_token).status_code == 302  # still may post


@LIMITED
def test_members_have_their_own_budgets_and_readers_none(app, client, auth, csrf_token, world):
    auth.login("amina")
    reply = CASES["reply"][1]
    for _ in range(2):
        reply(client, csrf_token)
    assert reply(client, csrf_token).status_code == 429
    for _ in range(3):  # a logged-in reader's thread pages are not limited
        assert client.get("/threads/1").status_code == 200
    auth.logout()
    auth.login("omar")
    assert reply(client, csrf_token).status_code == 302


@LIMITED
def test_a_form_stopped_by_a_limit_is_not_lost(client, auth, csrf_token, world):
    auth.login("amina")
    reply = CASES["reply"][1]
    for _ in range(2):
        reply(client, csrf_token)
    response = reply(client, csrf_token)
    assert response.status_code == 429
    assert "A reply." in response.get_data(as_text=True)


def test_limits_are_off_in_tests_by_default(client, world):
    for _ in range(5):
        assert client.get("/api/v1/similar?title=funds").status_code == 200
