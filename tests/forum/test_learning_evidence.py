"""Evidence at a glance (issue 10) through the API, the composer's check step, the search page
and the featured library, with the real model: outcome beside each experience, adaptations
counted only on threads the viewer may see."""
import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Thread, User
from tests.factories import make_adaptation, make_featured
from tests.forum.community import as_user, post
from tests.forum.learning_world import build

SEARCH = pytest.mark.app_config(SEARCH_ENABLED=True, SEARCH_SAVE_INTERVAL=0)
QUERY = "pooled vehicle procurement across agencies"


@pytest.fixture
def world(app):
    found = build(app)
    with app.app_context():
        thread = db.session.get(Thread, found.experience)
        for name, country, outcome in (("bob", "Nepal", "worked"), ("carla", "Senegal", "partly"),
                                       ("dan", "Nepal", None)):
            make_adaptation(thread, db.session.scalar(select(User).where(User.username == name)),
                            country, outcome)
    return found


def by_id(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return {r["id"]: r for r in response.get_json()["results"]}


@SEARCH
def test_api_results_carry_outcome_and_adaptation_evidence(app, client, auth, world):
    found = by_id(client.get(f"/api/v1/similar?title={QUERY}&limit=10"))
    hit = found[world.experience]
    assert hit["outcome"] == "worked" and hit["outcome_label"] == "Worked"
    assert hit["experience_summary"] == "Worked in Kenya, 2023–2024"
    assert hit["adaptations"] == {
        "teams": 3, "countries": 2, "no_outcome_yet": 1,
        "outcomes": {"worked": 1, "partly": 1, "did_not_work": 0, "too_early": 0},
        "summary": "Adapted by 3 teams in 2 countries — worked 1, partly 1, no outcome yet 1"}
    assert found[world.question]["adaptations"]["teams"] == 0
    assert found[world.question]["experience_summary"] is None
    assert world.secret not in found and world.lounge not in found
    as_user(client, auth, "insider")
    secret = by_id(client.get(f"/api/v1/similar?title={QUERY}&limit=10"))[world.secret]
    assert secret["experience_summary"] == "Did not work in Uganda, 2019"
    assert secret["adaptations"]["summary"] == "Adapted in 1 country — worked 1"


@SEARCH
def test_search_api_and_page_filter_by_outcome(app, client, auth, world):
    found = by_id(client.get(f"/api/v1/search?q={QUERY}&outcome=did_not_work"))
    assert found == {}  # the only experience that did not work is the group's
    as_user(client, auth, "insider")
    assert set(by_id(client.get(f"/api/v1/search?q={QUERY}&outcome=did_not_work"))) == {world.secret}
    page = client.get(f"/search?q={QUERY}&theme=procurement").get_data(as_text=True)
    assert "Joint vehicle procurement for three agencies" in page
    assert "Worked in Kenya, 2023–2024" in page and "Adapted by 3 teams in 2 countries" in page
    assert "How do we pool procurement" not in page  # a question has no theme


@SEARCH
def test_the_composers_check_step_shows_the_evidence(app, client, auth, world):
    as_user(client, auth, "dan")
    html = post(client, "/threads/new", {"title": QUERY, "body": "", "category": "0",
                                         "kind": "question", "check": "1"}).get_data(as_text=True)
    panel = html[html.index('id="similar-panel"'):]
    assert "Joint vehicle procurement for three agencies" in panel
    assert "Worked in Kenya, 2023–2024" in panel
    assert "Adapted by 3 teams in 2 countries — worked 1, partly 1, no outcome yet 1" in panel
    assert "Did not work in Uganda" not in panel


def test_featured_library_sorts_by_adaptations_and_outcomes(app, client, world):
    with app.app_context():
        helen = db.session.scalar(select(User).where(User.username == "helen"))
        bob = db.session.scalar(select(User).where(User.username == "bob"))
        carla = db.session.scalar(select(User).where(User.username == "carla"))
        plain = db.session.get(Thread, world.plain)
        question = db.session.get(Thread, world.question)
        make_featured(question, helen)  # featured first: newest last
        make_featured(db.session.get(Thread, world.experience), helen)
        make_featured(plain, helen)
        make_adaptation(question, bob, "Nepal", "worked")  # 2 adapted, both worked
        make_adaptation(question, carla, "Mali", "worked")  # (the experience: 3, 1 worked)

    def order(sort):
        html = client.get(f"/featured?sort={sort}").get_data(as_text=True)
        titles = ("How do we pool", "Joint vehicle procurement", "Sharing one generator")
        return sorted(titles, key=html.index)
    assert order("newest") == ["Sharing one generator", "Joint vehicle procurement", "How do we pool"]
    assert order("adapted") == ["Joint vehicle procurement", "How do we pool", "Sharing one generator"]
    assert order("worked") == ["How do we pool", "Joint vehicle procurement", "Sharing one generator"]
    assert order("bogus") == order("newest")
    assert "Adapted by 3 teams in 2 countries" in client.get("/featured").get_data(as_text=True)
