"""'We adapted this' (issue 10): recording, one-click outcomes, evidence at a glance, bad
input, and restricted threads' adaptations never shown or counted for those who may not see."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.learning.evidence import thread_evidence
from forum.models import Adaptation, Thread, User
from tests.factories import make_adaptation
from tests.forum.community import as_user, is_login_redirect, post
from tests.forum.learning_world import build

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
ADAPT = {"country": "Senegal", "team": "UNDP Dakar", "changes": "Two agencies, 11 vehicles.",
         "post_id": "0", "adapted_on": "2025-03-01", "outcome": ""}


@pytest.fixture
def world(app):
    return build(app)


def rows(app, thread_id):
    with app.app_context():
        return [(a.user.username, a.country, a.outcome, a.post_id) for a in db.session.scalars(
            select(Adaptation).where(Adaptation.thread_id == thread_id).order_by(Adaptation.id))]


def user(name):
    return db.session.scalar(select(User).where(User.username == name))


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_members_record_adaptations_and_the_evidence_adds_up(app, client, auth, world):
    as_user(client, auth, "carla")
    assert post(client, f"/threads/{world.experience}/adapt", ADAPT).status_code == 302
    as_user(client, auth, "bob")
    assert post(client, f"/threads/{world.experience}/adapt",
                {**ADAPT, "country": "Nepal", "outcome": "worked"}).status_code == 302
    as_user(client, auth, "dan")
    assert post(client, f"/threads/{world.experience}/adapt",
                {**ADAPT, "country": "nepal", "team": "WFP", "outcome": "too_early"}).status_code == 302
    assert rows(app, world.experience) == [("carla", "Senegal", None, None),
                                           ("bob", "Nepal", "worked", None),
                                           ("dan", "nepal", "too_early", None)]
    page = client.get(f"/threads/{world.experience}").get_data(as_text=True)
    assert ("Adapted by 3 teams in 2 countries — worked 1, too early 1, no outcome yet 1"
            in page)
    assert "Two agencies, 11 vehicles." in page and "in March 2025" in page


def test_an_adapter_updates_their_own_record_and_outcome(app, client, auth, world):
    as_user(client, auth, "carla")
    post(client, f"/threads/{world.question}/adapt", {**ADAPT, "post_id": str(world.accepted)})
    assert post(client, f"/threads/{world.question}/adapt",
                {**ADAPT, "country": "Mali", "post_id": str(world.accepted)}).status_code == 302
    assert rows(app, world.question) == [("carla", "Mali", None, world.accepted)]
    with app.app_context():
        adaptation_id = db.session.scalar(select(Adaptation.id).where(
            Adaptation.thread_id == world.question))
    page = client.get(f"/threads/{world.question}").get_data(as_text=True)
    assert "How did it go?" in page and "We adapted this</a>" not in page
    assert post(client, f"/adaptations/{adaptation_id}/outcome", {"outcome": "partly"}).status_code == 302
    assert rows(app, world.question)[0][2] == "partly"
    # A bad button value is a clear message, never a change or a 500.
    response = post(client, f"/adaptations/{adaptation_id}/outcome", {"outcome": "great"})
    assert response.status_code == 302
    assert "Choose one of the four outcomes." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert rows(app, world.question)[0][2] == "partly"


def test_others_cannot_change_an_adaptation_but_moderators_remove_it(app, client, auth, world):
    with app.app_context():
        adaptation = make_adaptation(db.session.get(Thread, world.experience), user("carla"),
                                     "Senegal")
        adaptation_id = adaptation.id
    as_user(client, auth, "bob")
    assert post(client, f"/adaptations/{adaptation_id}/outcome", {"outcome": "worked"}).status_code == 403
    assert post(client, f"/adaptations/{adaptation_id}/delete").status_code == 403
    assert rows(app, world.experience)[0][2] is None
    as_user(client, auth, "helen")
    assert post(client, f"/adaptations/{adaptation_id}/outcome", {"outcome": "worked"}).status_code == 403
    assert post(client, f"/adaptations/{adaptation_id}/delete").status_code == 302
    assert rows(app, world.experience) == []


def test_guests_suspended_and_outsiders_cannot_adapt(app, client, auth, world):
    assert is_login_redirect(post(client, f"/threads/{world.experience}/adapt", ADAPT))
    as_user(client, auth, "sam")
    assert post(client, f"/threads/{world.experience}/adapt", ADAPT).status_code == 403
    as_user(client, auth, "bob")
    assert client.get(f"/threads/{world.secret}/adapt").status_code == 404
    assert post(client, f"/threads/{world.secret}/adapt", ADAPT).status_code == 404
    with app.app_context():
        secret_adaptation = db.session.scalar(select(Adaptation.id).where(
            Adaptation.thread_id == world.secret))
    assert post(client, f"/adaptations/{secret_adaptation}/outcome", {"outcome": "worked"}).status_code == 404
    assert rows(app, world.secret) == [("insider", "Uganda", "worked", None)]


@pytest.mark.parametrize("changes, message", [
    ({"country": "", "team": ""}, "Say which country (or which team) adapted it."),
    ({"adapted_on": (date.today() + timedelta(days=40)).isoformat()}, "not in the future"),
    ({"adapted_on": "last spring"}, "Not a valid date value."),
    ({"outcome": "great"}, "Not a valid choice"),
    ({"post_id": "999999"}, "Not a valid choice"),
    ({"team": "t" * 151}, "at most 150 characters"),
])
def test_bad_input_re_renders_with_the_text_intact(app, client, auth, world, changes, message):
    as_user(client, auth, "carla")
    response = post(client, f"/threads/{world.experience}/adapt", {**ADAPT, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html
    assert "Two agencies, 11 vehicles." in html
    assert rows(app, world.experience) == []


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_nul_bytes_are_dropped_not_a_500(app, client, auth, world):
    as_user(client, auth, "carla")
    response = post(client, f"/threads/{world.experience}/adapt",
                    {**ADAPT, "changes": "Two\x00 agencies.", "team": "U\x00NDP"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(Adaptation).where(Adaptation.thread_id == world.experience))
        assert (row.changes, row.team) == ("Two agencies.", "UNDP")
    as_user(client, auth, "amina")
    assert post(client, f"/threads/{world.plain}/experience", {"tried": "A\x00B"}).status_code == 302
    with app.app_context():
        assert db.session.get(Thread, world.plain).experience.tried == "AB"


def test_an_adaptation_must_name_an_answer_of_the_same_thread(app, world):
    from forum.domain import DomainError
    from forum.learning.adaptations import record_adaptation
    with app.app_context():
        other_thread_post = db.session.get(Thread, world.experience).opening_post.id
        with pytest.raises(DomainError, match="Choose an answer of this thread"):
            record_adaptation(user("carla"), db.session.get(Thread, world.question),
                              country="Mali", post_id=other_thread_post)


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_restricted_adaptations_never_count_for_those_who_may_not_see(app, client, auth, world):
    with app.app_context():
        from flask_login import AnonymousUserMixin
        ids = [world.secret, world.lounge, world.experience]
        assert thread_evidence(AnonymousUserMixin(), ids).keys() == {world.experience}
        assert thread_evidence(user("bob"), ids).keys() == {world.lounge, world.experience}
        insider = thread_evidence(user("insider"), ids)
        assert insider[world.secret].adaptation_line == "Adapted in 1 country — worked 1"
        assert insider[world.secret].experience_line == "Did not work in Uganda, 2019"
    # Guests: Uganda shows its member (profiles are public) but nothing restricted; Ghana,
    # whose only content is members-only, answers like an unknown country.
    uganda = client.get("/countries/Uganda").get_data(as_text=True)
    assert "insider" in uganda and "vehicle pooling" not in uganda and "Worked" not in uganda
    assert client.get("/countries/Ghana").status_code == 404
    assert client.get("/countries/Atlantis").status_code == 404
    countries = client.get("/countries").get_data(as_text=True)
    assert "Uganda" not in countries and "Ghana" not in countries
    profile = client.get("/u/insider").get_data(as_text=True)
    assert "vehicle pooling with county" not in profile
    as_user(client, auth, "bob")  # a member: the lounge, not the group
    assert "Members only: vehicle pooling gossip" in client.get("/countries/Ghana").get_data(as_text=True)
    assert "vehicle pooling" not in client.get("/countries/Uganda").get_data(as_text=True)
    as_user(client, auth, "insider")
    page = client.get("/countries/Uganda").get_data(as_text=True)
    assert "Kenya team: vehicle pooling with county governments" in page
    assert "vehicle pooling with county" in client.get("/u/insider").get_data(as_text=True)
