"""Issue 12: a category someone may not see is indistinguishable from one that does not exist,
on its page, its feed, the search page and both APIs (by slug, name or id)."""
import re

import pytest

from tests.factories import make_category, make_group, make_thread, make_user


@pytest.fixture
def ids(app):
    """A group-only and a members-only category; returns their ids."""
    with app.app_context():
        insider, outsider = make_user("insider"), make_user("outsider")
        team = make_category("Kenya team", visibility="group",
                             group=make_group("kenya-team", [insider]))
        lounge = make_category("Lounge", visibility="members")
        make_thread(insider, team, "Kenya team internal question", "Internal.")
        make_thread(outsider, lounge, "Members lounge question", "Members only.")
        return {"team": team.id, "lounge": lounge.id, "unknown": 999}


def _page(response) -> str:
    """The page without the values that change on every request (tokens, session ids)."""
    return re.sub(r'name="(csrf_token|suggestion_session)"[^>]*value="[^"]*"', "",
                  response.get_data(as_text=True))


def _login(auth, name):
    assert auth.login(name).status_code == 302


def _answers(client, value):
    """What each channel says about category=value (page bodies reduced to the message)."""
    api_search = client.get(f"/api/v1/search?q=question&category={value}")
    api_similar = client.get(f"/api/v1/similar?title=question&category={value}")
    api_post = client.post("/api/v1/similar", json={"title": "question", "category": value})
    page = client.get(f"/search?q=question&category={value}").get_data(as_text=True)
    return {
        "api_search": (api_search.status_code, api_search.get_json()),
        "api_similar": (api_similar.status_code, api_similar.get_json()),
        "api_post": (api_post.status_code, api_post.get_json()),
        "page": f"Unknown category {value!r}" in page.replace("&#39;", "'"),
    }


def _unknown(value):
    error = {"error": f"Unknown category {value!r}."}
    return {"api_search": (400, error), "api_similar": (400, error), "api_post": (400, error),
            "page": True}


@pytest.mark.parametrize("who", [None, "outsider"])
def test_a_group_category_looks_unknown_to_others(client, auth, ids, who):
    if who:
        _login(auth, who)
    for value in ("kenya-team", "Kenya team", str(ids["team"]), "no-such-category",
                  str(ids["unknown"])):
        assert _answers(client, value) == _unknown(value), value
    for url in ("/c/kenya-team", "/c/kenya-team/feed.atom"):
        response = client.get(url)
        missing = client.get(url.replace("kenya-team", "no-such-category"))
        assert response.status_code == 404, url
        # The same page, but for the address in its "Log in" link and the CSRF token of
        # the "Log out" button (signed with the time, so it changes from second to second).
        assert _page(response) == _page(missing).replace("no-such-category", "kenya-team")
    assert client.get("/c/kenya-team?page=2").status_code == 404


def test_a_members_category_looks_unknown_to_guests_only(client, auth, ids):
    assert _answers(client, "lounge") == _unknown("lounge")
    assert client.get("/c/lounge").status_code == 404
    _login(auth, "outsider")
    answers = _answers(client, "lounge")
    assert answers["api_search"][0] == 200 and answers["api_post"][0] == 200
    assert answers["page"] is False
    assert client.get("/c/lounge").status_code == 200


def test_the_group_member_may_use_it(client, auth, ids):
    _login(auth, "insider")
    for value in ("kenya-team", str(ids["team"])):
        answers = _answers(client, value)
        assert answers["api_search"][0] == 200 and answers["api_similar"][0] == 200
        assert answers["api_post"][0] == 200 and answers["page"] is False
    assert client.get("/c/kenya-team").status_code == 200


def test_the_composer_preselects_a_restricted_category_like_a_missing_one(client, auth, ids):
    _login(auth, "outsider")
    client.get("/")  # shows the welcome message
    restricted = _page(client.get("/threads/new?category=kenya-team"))
    missing = _page(client.get("/threads/new?category=no-such-category"))
    assert restricted == missing.replace("no-such-category", "kenya-team")
    assert "Kenya team" not in restricted
