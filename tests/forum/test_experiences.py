"""Experience details (issue 10): the card, versioned edits, bad input, and the outcome,
theme and period filters on listings, the search page and the API, as each viewer may see."""
import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import AuditLog, ExperienceDetails, ExperienceRevision, Thread
from tests.forum.community import as_user, is_login_redirect, post
from tests.forum.learning_world import SECRET_THEME, build

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
DETAILS = {"country": "Moldova", "region": "Chisinau", "theme": "Common services",
           "setting": "UN house", "scale": "4 agencies", "period": "2022 to mid-2024",
           "tried": "One generator contract.", "outcome": "partly",
           "lessons": "Agree the cost split first.",
           "evidence": "https://example.org/report\n https://example.org/data "}


@pytest.fixture
def world(app):
    return build(app)


def details(app, thread_id):
    with app.app_context():
        row = db.session.get(ExperienceDetails, thread_id)
        return None if row is None else (row.outcome, row.theme, row.start_year, row.end_year,
                                         row.evidence, len(row.revisions))


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_author_adds_details_shown_as_a_card_with_history(app, client, auth, world):
    as_user(client, auth, "amina")
    url = f"/threads/{world.plain}/experience"
    assert client.get(url).status_code == 200
    assert post(client, url, DETAILS).status_code == 302
    assert details(app, world.plain) == ("partly", "Common services", 2022, 2024,
                                         "https://example.org/report\nhttps://example.org/data", 1)
    page = client.get(f"/threads/{world.plain}").get_data(as_text=True)
    card = page[page.index('id="experience"'):]
    for text in ("Partly worked", "Chisinau", "Common services", "2022 to mid-2024",
                 "Agree the cost split first.", 'href="https://example.org/report"',
                 "/countries/Moldova", "1 version"):
        assert text in card
    assert post(client, url, {**DETAILS, "outcome": "worked"}).status_code == 302
    assert post(client, url, {**DETAILS, "outcome": "worked"}).status_code == 302  # unchanged
    assert details(app, world.plain)[0] == "worked" and details(app, world.plain)[-1] == 2
    history = client.get(f"/threads/{world.plain}/experience/history").get_data(as_text=True)
    assert "Version 2 (current) by amina" in history and "Version 1 by amina" in history
    assert "partly" in history and "worked" in history


def test_a_moderator_edits_with_an_audit_entry(app, client, auth, world):
    as_user(client, auth, "helen")
    assert post(client, f"/threads/{world.experience}/experience", DETAILS).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "experience.edit")) == 1
        editors = db.session.scalars(select(ExperienceRevision.editor_id)).all()
        assert len(editors) == 1


@pytest.mark.parametrize("username", ["bob", "carla", "sam"])
def test_others_and_suspended_members_cannot_edit(app, client, auth, world, username):
    as_user(client, auth, username)
    assert client.get(f"/threads/{world.experience}/experience").status_code == 403
    assert post(client, f"/threads/{world.experience}/experience", DETAILS).status_code == 403
    assert details(app, world.experience)[0] == "worked"


def test_guests_are_sent_to_log_in_and_questions_have_no_card(app, client, auth, world):
    assert is_login_redirect(post(client, f"/threads/{world.experience}/experience", DETAILS))
    as_user(client, auth, "bob")
    assert client.get(f"/threads/{world.question}/experience").status_code == 404
    # A restricted experience answers like a missing one, history included.
    assert client.get(f"/threads/{world.secret}/experience").status_code == 404
    assert client.get(f"/threads/{world.secret}/experience/history").status_code == 404


@pytest.mark.parametrize("field, value, message", [
    ("evidence", "javascript:alert(1)", "is not a web link"),
    ("evidence", "\n".join(f"https://example.org/{i}" for i in range(11)), "at most 10 links"),
    ("theme", "x" * 101, "at most 100 characters"),
    ("outcome", "great", "Not a valid choice"),
])
def test_bad_input_re_renders_with_the_text_intact(app, client, auth, world, field, value,
                                                    message):
    as_user(client, auth, "amina")
    response = post(client, f"/threads/{world.plain}/experience", {**DETAILS, field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html
    assert "One generator contract." in html and "Agree the cost split first." in html
    assert details(app, world.plain) is None


def listed(client, query: str) -> str:
    return client.get(f"/?{query}").get_data(as_text=True)


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_listing_filters_by_outcome_theme_and_period(app, client, auth, world):
    assert "Joint vehicle procurement" in listed(client, "outcome=worked")
    assert "Sharing one generator" not in listed(client, "outcome=worked")
    assert "Joint vehicle procurement" not in listed(client, "outcome=partly")
    assert "Joint vehicle procurement" in listed(client, "theme=procurement")
    for period, found in (("2024", True), ("2020-2023", True), ("2025", False),
                          ("2019", False)):
        assert ("Joint vehicle procurement" in listed(client, f"period={period}")) is found
    # A bad value is ignored on listings (never a 500).
    assert "Sharing one generator" in listed(client, "period=last+year&outcome=great")


def test_filters_never_reveal_restricted_experiences(app, client, auth, world):
    guest = listed(client, "outcome=did_not_work")
    assert "Kenya team" not in guest and "vehicle pooling with county" not in guest
    assert SECRET_THEME not in client.get("/").get_data(as_text=True)  # theme list
    assert "vehicle pooling with county" not in listed(client, f"theme={SECRET_THEME}")
    assert "vehicle pooling with county" not in listed(client, "period=2019")
    as_user(client, auth, "insider")
    assert "vehicle pooling with county" in listed(client, "outcome=did_not_work")
    assert SECRET_THEME in client.get("/").get_data(as_text=True)


def test_outcome_filter_matches_adaptations_too(app, client, world):
    # Dan's adaptation of the members-only thread went "partly": members find it that way.
    with app.app_context():
        from tests.factories import make_adaptation
        from forum.models import User
        bob = db.session.scalar(select(User).where(User.username == "bob"))
        make_adaptation(db.session.get(Thread, world.question), bob, "Kenya", "partly")
    assert "How do we pool procurement" in listed(client, "outcome=partly")


def test_api_and_search_page_validate_the_new_filters(app, client, world):
    response = client.get("/api/v1/search?period=last+year")
    assert response.status_code == 400
    assert response.get_json() == {"error": "'period' must be a year like 2024 or a range "
                                             "like 2022-2024."}
    response = client.get("/api/v1/search?outcome=great")
    assert response.status_code == 400 and "'outcome' must be one of" in response.get_json()["error"]
    page = client.get("/search?q=vehicles&period=soon").get_data(as_text=True)
    assert "A filter was left out: Period must be a year" in page
