"""@mentions: found outside code only, and the autocomplete lookup (login, JSON, who may read)."""
import pytest

from forum.notifications.mentions import MAX_MENTIONS, mentioned_names, mentioned_users
from tests.factories import make_user
from tests.forum.community import as_user
from tests.forum.notify_world import world  # noqa: F401 - fixture


@pytest.mark.parametrize("source, names", [
    ("Thanks @amina!", ["amina"]),
    ("cc @Amina.Diallo.", ["amina.diallo"]),
    ("`@code` and\n\n    @indented\n\n```\n@fenced\n```\n@after", ["after"]),
    ("mail me at bob@example.org or see https://x.org/@bob", []),
    ("@@double and @a", []),
    ("[@carla](https://example.org) said", ["carla"]),
])
def test_mentioned_names(source, names):
    # A name ending a sentence is also tried with its dot: "amina.diallo." and "amina.diallo".
    found = [n for n in mentioned_names(source) if not n.endswith((".", "-", "_"))]
    assert found == names


def test_mentions_resolve_members_only_and_stop_at_the_cap(app, world):
    with app.app_context():
        make_user("ghost", placeholder=True)
        assert [u.username for u in mentioned_users("@ghost @dan @nobody @DAN")] == ["dan"]
        for i in range(MAX_MENTIONS + 3):
            make_user(f"member{i:02d}")
        many = " ".join(f"@member{i:02d}" for i in range(MAX_MENTIONS + 3))
        assert len(mentioned_users(many)) == MAX_MENTIONS


def test_the_lookup_offers_members_who_may_read_the_thread(app, client, auth, world):
    as_user(client, auth, "amina")
    users = client.get("/mentions?q=ca").get_json()["users"]
    assert users == [{"username": "carla", "name": "Carla Ruiz"}]
    by_name = client.get("/mentions?q=otie").get_json()["users"]
    assert [u["username"] for u in by_name] == ["bob"]
    everyone = {u["username"] for u in client.get("/mentions?q=d").get_json()["users"]}
    assert "dan" in everyone
    in_team = client.get(f"/mentions?q=d&thread={world.secret}").get_json()["users"]
    assert "dan" not in {u["username"] for u in in_team}
    assert {u["username"] for u in client.get(
        f"/mentions?q=a&thread={world.secret}").get_json()["users"]} == {"amina", "carla"}
    assert client.get("/mentions?q=").get_json() == {"users": []}
    assert client.get("/mentions?q=%25").get_json() == {"users": []}  # % is no wildcard
    # A thread the asker cannot see narrows nothing and says nothing about it.
    as_user(client, auth, "dan")
    outside = client.get(f"/mentions?q=d&thread={world.secret}").get_json()["users"]
    assert "dan" in {u["username"] for u in outside}
    response = client.get("/mentions?q=b")
    assert response.headers["Cache-Control"].startswith("private")
    assert "@" not in response.get_data(as_text=True)  # names only, never an e-mail address


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_the_lookup_is_rate_limited_per_member(app, client, auth, world):
    as_user(client, auth, "amina")
    codes = [client.get(f"/mentions?q=b{i}").status_code for i in range(125)]
    assert codes.count(200) == 120 and codes[-1] == 429
