"""Follow-ups (issue 10): "did it work?" some time after an acceptance or an adaptation; the
CLI is idempotent and has a dry run; one click answers; nobody answers someone else's."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.learning.followups import pending_followups, send_followups
from forum.models import Adaptation, Category, DigestSubscription, Followup, Thread, User
from forum.models._base import utcnow
from forum.notifications import digest
from tests.factories import make_adaptation, make_thread, make_user
from tests.forum.community import as_user, post
from tests.forum.learning_world import build
from tests.forum.notify_world import html_part, mail_app, smtp, text_part  # noqa: F401 - fixtures

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def world(app):
    return build(app)


def user(name):
    return db.session.scalar(select(User).where(User.username == name))


def followups(app):
    with app.app_context():
        return sorted((f.user.username, f.subject, f.thread_id, f.outcome) for f in
                      db.session.scalars(select(Followup)))


def age(app, world, days: int) -> int:
    """The question's answer accepted `days` ago; carla's adaptation of the experience too."""
    with app.app_context():
        question = db.session.get(Thread, world.question)
        question.accepted_at = utcnow() - timedelta(days=days)
        adaptation = make_adaptation(db.session.get(Thread, world.experience), user("carla"),
                                     "Senegal", created_at=utcnow() - timedelta(days=days))
        return adaptation.id


def test_accepting_an_answer_records_when(app, client, auth, world):
    as_user(client, auth, "bob")
    post(client, f"/threads/{world.question}/unaccept")
    with app.app_context():
        assert db.session.get(Thread, world.question).accepted_at is None
    post(client, f"/posts/{world.other_reply}/accept")
    with app.app_context():
        thread = db.session.get(Thread, world.question)
        assert thread.accepted_post_id == world.other_reply
        assert (utcnow() - thread.accepted_at).total_seconds() < 60


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_send_asks_once_when_due_with_a_dry_run_first(app, runner, world):
    age(app, world, 61)
    dry = runner.invoke(args=["followups", "send", "--dry-run"])
    assert dry.exit_code == 0 and "2 follow-ups would be asked (after 60 days)." in dry.output
    assert followups(app) == []
    first = runner.invoke(args=["followups", "send"])
    assert first.exit_code == 0 and "2 follow-ups asked" in first.output
    assert followups(app) == [("bob", "answer", world.question, None),
                              ("carla", "adaptation", world.experience, None)]
    again = runner.invoke(args=["followups", "send"])
    assert again.exit_code == 0 and "0 follow-ups asked" in again.output
    assert len(followups(app)) == 2
    with app.app_context():  # one more becomes due: only it is asked
        make_adaptation(db.session.get(Thread, world.experience), user("dan"), "Nepal",
                        created_at=utcnow() - timedelta(days=61))
    assert "1 follow-up asked" in runner.invoke(args=["followups", "send"]).output
    assert len(followups(app)) == 3


def test_nothing_is_asked_before_it_is_due(app, runner, world):
    age(app, world, 59)
    assert "0 follow-ups asked" in runner.invoke(args=["followups", "send"]).output
    assert followups(app) == []


@pytest.mark.app_config(FOLLOWUP_AFTER_DAYS=7)
def test_the_delay_is_configurable(app, runner, world):
    age(app, world, 8)
    assert "2 follow-ups asked (after 7 days)." in runner.invoke(args=["followups", "send"]).output


@pytest.mark.app_config(FOLLOWUP_AFTER_DAYS="soon")
def test_a_bad_delay_is_a_clear_error(app, runner, world):
    result = runner.invoke(args=["followups", "send"])
    assert result.exit_code == 2 and "FOLLOWUP_AFTER_DAYS must be a whole number" in result.output


def test_who_is_not_asked(app, world):
    with app.app_context():
        thread = db.session.get(Thread, world.experience)
        old = utcnow() - timedelta(days=90)
        make_adaptation(thread, user("dan"), "Nepal", "worked", created_at=old)  # reported
        make_adaptation(thread, user("ghost"), "Nepal", created_at=old)  # cannot log in
        make_adaptation(thread, user("bob"), "Nepal", "too_early", created_at=old)  # asked
        moved = make_thread(user("carla"), db.session.get(Category, world.public_category),
                            "Later moved to the Kenya team category", "Body.")
        make_adaptation(moved, user("carla"), "Mali", created_at=old)
        moved.category_id = world.group_category  # carla is not in the Kenya team
        db.session.commit()
        assert [(d.user_id, d.subject) for d in send_followups()] == [(user("bob").id, "adaptation")]


def test_members_answer_in_one_click_and_it_updates_the_record(app, client, auth, runner, world):
    adaptation_id = age(app, world, 70)
    runner.invoke(args=["followups", "send"])
    as_user(client, auth, "carla")
    page = client.get("/").get_data(as_text=True)
    assert "Did it work? <span class=\"badge\">1" in page
    listing = client.get("/followups").get_data(as_text=True)
    assert "Joint vehicle procurement for three agencies" in listing
    with app.app_context():
        mine = db.session.scalar(select(Followup.id).where(Followup.subject == "adaptation"))
        bobs = db.session.scalar(select(Followup.id).where(Followup.subject == "answer"))
    assert post(client, f"/followups/{mine}", {"outcome": "worked"}).status_code == 302
    with app.app_context():
        assert db.session.get(Adaptation, adaptation_id).outcome == "worked"
    assert "Nothing to answer right now" in client.get("/followups").get_data(as_text=True)
    # Someone else's question answers like a missing one.
    assert post(client, f"/followups/{bobs}", {"outcome": "worked"}).status_code == 404
    as_user(client, auth, "bob")
    assert "You accepted carla’s answer" in client.get("/followups").get_data(as_text=True)
    response = post(client, f"/followups/{bobs}", {"outcome": "great"})
    assert response.status_code == 302
    assert "Choose one of the four outcomes." in client.get("/followups").get_data(as_text=True)
    assert post(client, f"/followups/{bobs}", {"outcome": "partly"}).status_code == 302
    with app.app_context():
        record = db.session.scalar(select(Adaptation).where(
            Adaptation.thread_id == world.question, Adaptation.user_id == user("bob").id))
        assert (record.outcome, record.post_id) == ("partly", world.accepted)
        assert db.session.scalar(select(func.count(Followup.id)).where(
            Followup.answered_at.is_(None))) == 0
    page = client.get(f"/threads/{world.question}").get_data(as_text=True)
    assert "applied the accepted answer" in page and "Adapted by 1 team — partly 1" in page


def test_pending_followups_is_the_digest_hook(app, runner, world):
    age(app, world, 61)
    runner.invoke(args=["followups", "send"])
    with app.app_context():
        assert [f.thread_id for f in pending_followups(user("carla"))] == [world.experience]
        assert pending_followups(user("dan")) == []
        from flask_login import AnonymousUserMixin
        assert pending_followups(AnonymousUserMixin()) == []
        # A thread the member can no longer read drops out of their list.
        thread = db.session.get(Thread, world.experience)
        thread.category_id = world.group_category
        db.session.commit()
        assert pending_followups(user("carla")) == []


def _subscribe(app, name: str, email: str) -> None:
    with app.app_context():
        member = user(name)
        member.email = email
        db.session.add(DigestSubscription(user_id=member.id, frequency="daily"))
        db.session.commit()


def test_the_digest_asks_in_the_period_it_was_asked_and_only_what_they_may_read(
        app, mail_app, smtp, runner, world):
    age(app, world, 61)
    _subscribe(app, "carla", "carla@example.org")
    _subscribe(app, "bob", "bob@example.org")
    assert "2 follow-ups asked" in runner.invoke(args=["followups", "send"]).output
    with app.app_context():  # bob's question moves where bob cannot read it any more
        db.session.get(Thread, world.question).category_id = world.group_category
        db.session.commit()
    result = runner.invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    (carla,) = [m for m in smtp.to("carla@example.org") if m["Subject"].endswith("digest")]
    text = text_part(carla)
    assert "Did it work?" in text and "Joint vehicle procurement for three agencies" in text
    assert "your team adapted this" in text
    assert "https://forum.headstart.test/followups" in text and "/followups" in html_part(carla)
    bobs = smtp.to("bob@example.org")  # nothing he may read is new: no digest, and no title
    assert all("How do we pool procurement" not in m.as_string() for m in bobs)
    with app.test_request_context():
        carla_user, asked = user("carla"), db.session.scalar(
            select(Followup.asked_at).where(Followup.subject == "adaptation"))
        day = timedelta(days=1)
        assert digest.waiting_followups(carla_user, asked - day, asked + day) is not None
        # The next period's digest does not ask again.
        assert digest.waiting_followups(carla_user, asked + day, asked + 2 * day) is None
        followup = db.session.scalar(select(Followup).where(Followup.subject == "adaptation"))
        followup.answered_at = utcnow()
        db.session.commit()
        assert digest.waiting_followups(carla_user, asked - day, asked + day) is None


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_the_pending_count_is_the_list_in_one_statement(app, runner, world):
    """Every member page shows the count: one statement however many follow-ups wait, and the
    same follow-ups as the list (readable thread, subject still there, not answered)."""
    from sqlalchemy import event

    from forum import permissions
    from forum.learning.followups import pending_count, subject_of
    from forum.models import Post

    age(app, world, 61)
    runner.invoke(args=["followups", "send"])
    with app.app_context():
        carla = user("carla")
        dans = db.session.scalar(select(Adaptation.id).where(Adaptation.thread_id == world.lounge))
        insiders = db.session.scalar(select(Adaptation.id).where(Adaptation.thread_id == world.secret))
        extra = [("adaptation", dans, world.lounge, None),         # members-only: she reads it
                 ("adaptation", insiders, world.secret, None),     # group-only: she does not
                 ("adaptation", 999_999, world.plain, None),       # the adaptation is gone
                 ("answer", world.other_reply, world.question, None),  # deleted below
                 ("answer", world.accepted, world.question, utcnow())]  # answered
        for subject, subject_id, thread_id, answered in extra:
            db.session.add(Followup(user_id=carla.id, subject=subject, subject_id=subject_id,
                                    thread_id=thread_id, answered_at=answered))
        db.session.get(Post, world.other_reply).deleted_at = utcnow()
        db.session.commit()
        oracle = [f.id for f in db.session.scalars(select(Followup).where(
            Followup.user_id == carla.id, Followup.answered_at.is_(None)))
            if permissions.can_view_thread(carla, f.thread) and subject_of(f) is not None]
        assert sorted(f.id for f in pending_followups(carla)) == sorted(oracle)
        assert {(f.subject, f.thread_id) for f in pending_followups(carla)} == {
            ("adaptation", world.experience), ("adaptation", world.lounge)}
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731 - the statement's text
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert pending_count(carla) == 2
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(seen) == 1, seen
