"""The demo shows the whole issue-10 loop on first run, and loading it twice changes nothing."""
import pytest
from sqlalchemy import func, select

from forum.demo import MEMBER_PASSWORD
from forum.extensions import db
from forum.models import (
    Adaptation, ConsolidatedReply, ExperienceDetails, ExperienceRevision, FeaturedPractice,
    Followup, Thread, User,
)


def snapshot(app) -> dict:
    with app.app_context():
        def n(col, *where):
            return db.session.scalar(select(func.count(col)).where(*where))
        return {
            "outcomes": n(ExperienceDetails.thread_id, ExperienceDetails.outcome.is_not(None)),
            "versions": n(ExperienceRevision.id), "adaptations": n(Adaptation.id),
            "countries": n(func.distinct(Adaptation.country)),
            "published": n(ConsolidatedReply.id, ConsolidatedReply.published_at.is_not(None)),
            "followups": n(Followup.id), "pending": n(Followup.id, Followup.answered_at.is_(None)),
            "featured": n(FeaturedPractice.id),
        }


@pytest.mark.slow
def test_demo_learning_loop_is_complete_and_idempotent(app, runner, client, auth):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Demo learning: 15 experiences with outcomes, 27 adaptations in 15 countries" in result.output
    first = snapshot(app)
    assert first["outcomes"] >= 10 and first["adaptations"] >= 20 and first["countries"] >= 8
    assert first["published"] == 1 and first["pending"] >= 4
    with app.app_context():
        from forum.demo import learning
        said = []
        learning.apply(said.append)
        assert said[0].endswith("0 new follow-ups asked.")
        amina = db.session.scalar(select(User).where(User.username == "amina.diallo"))
        assert {f.subject for f in db.session.scalars(select(Followup).where(
            Followup.user_id == amina.id))} == {"answer", "adaptation"}
        reply = db.session.scalar(select(ConsolidatedReply))
        thread_id = reply.thread_id
        assert [r.published for r in reply.revisions] == [False, True]
        assert "(thread:" not in reply.body and f"/threads/{thread_id}#post-" in reply.body
        featured = db.session.scalar(select(FeaturedPractice).where(
            FeaturedPractice.thread_id == thread_id))
        # The published reply fed the library (the thread is not among extras.json's).
        assert featured is not None and featured.summary == reply.body
        kenya_team = db.session.scalar(select(Thread.id).where(Thread.external_id == "demo-b-010"))
    assert snapshot(app) == first
    page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert "Consolidated reply" in page and "In short" in page
    # The Kenya team's experience and Grace's adaptation of it stay inside the group.
    assert "Division-of-labour table" not in client.get("/countries/Uganda").get_data(as_text=True)
    assert client.get(f"/threads/{kenya_team}").status_code == 404
    assert auth.login("grace.achieng", MEMBER_PASSWORD).status_code == 302
    assert "County joint workplans" in client.get("/countries/Uganda").get_data(as_text=True)
    auth.logout()
    assert auth.login("amina.diallo", MEMBER_PASSWORD).status_code == 302
    assert "Did it work? <span class=\"badge\">2" in client.get("/").get_data(as_text=True)
