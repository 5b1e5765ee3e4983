"""Digests: what a member watches and the most-read new threads, as they may see them when sent."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import DigestSubscription, Group, OutboxMessage, Thread, User
from forum.models._base import utcnow
from forum.mail import delivery
from forum.notifications import digest
from tests.forum.community import as_user, post
from tests.forum.notify_world import (  # noqa: F401 - fixtures
    BACKENDS, PUBLIC_TITLE, SECRET_TITLE, html_part, mail_app, outbox_count, smtp, text_part,
    new_thread, reply, user_id, watch, world,
)

PUBLIC_GRANTS = "Small grants for local partners: what worked?"
TEAM_GRANTS = "Kenya team grants pipeline review"
DANS = "Field visits schedule across county offices"


def digests(smtp, address=None) -> list:
    """Digest e-mails received (immediate notification e-mails left out)."""
    messages = smtp.to(address) if address else smtp.messages
    return [m for m in messages if m["Subject"].endswith("Headstart digest")]


def subscribe(client, email: str, frequency: str):
    response = post(client, "/settings/notifications", {
        "email": email, "digest": frequency, "web_reply": "y", "email_reply": "y",
        "web_mention": "y", "email_mention": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def activity(client, auth, world):
    """Replies, new threads and reads across the public and the team's categories."""
    as_user(client, auth, "amina")
    subscribe(client, "amina@example.org", "daily")
    watch(client, "tag", "grants")
    as_user(client, auth, "dan")
    subscribe(client, "dan@example.org", "weekly")
    watch(client, "tag", "grants")
    new_thread(client, world.public_category, DANS, "Who plans them?")
    as_user(client, auth, "bob")
    reply(client, world.public, "Steering committee.")
    new_thread(client, world.public_category, PUBLIC_GRANTS, "Sizes and reporting.",
               tags="grants")
    as_user(client, auth, "carla")
    new_thread(client, world.team_category, TEAM_GRANTS, "Internal.", tags="grants")
    reply(client, world.secret, "Numbers checked.")
    with client.application.app_context():
        dan_thread = db.session.scalar(select(Thread.id).where(Thread.title == DANS))
    for name in ("bob", "carla"):  # two members read dan's thread
        as_user(client, auth, name)
        client.get(f"/threads/{dan_thread}")


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_digests_hold_what_each_reader_may_see_and_go_once_per_period(
        app, mail_app, smtp, client, auth, runner, world):
    activity(client, auth, world)
    first = runner.invoke(args=["digest", "send"])
    assert first.exit_code == 0 and "Digests queued: 2" in first.output, first.output
    second = runner.invoke(args=["digest", "send"])
    assert "Digests queued: 0" in second.output and "0 sent" in second.output
    assert len(digests(smtp)) == 2
    (amina,) = digests(smtp, "amina@example.org")
    (dan,) = digests(smtp, "dan@example.org")
    assert amina["Subject"] == "Your daily Headstart digest" and amina["Precedence"] == "bulk"
    text = text_part(amina)
    assert "New replies in threads you watch" in text and PUBLIC_TITLE in text
    assert "New threads in what you watch" in text and PUBLIC_GRANTS in text
    assert TEAM_GRANTS in text and SECRET_TITLE in text  # amina is in the team
    assert "Most-read new threads" in text and "read by 2 members" in text
    assert amina["List-Unsubscribe"].startswith("<https://forum.headstart.test/unsubscribe/")
    dans = text_part(dan) + html_part(dan)
    assert PUBLIC_GRANTS in dans and TEAM_GRANTS not in dans and SECRET_TITLE not in dans
    assert DANS not in dans  # his own thread is no news to him
    for other in ("bob@example.org", "carla@example.org", "amina@example.org"):
        assert other not in dan.as_string()


def test_a_reader_who_left_the_group_gets_none_of_it(app, mail_app, smtp, client, auth, runner,
                                                     world):
    as_user(client, auth, "carla")
    subscribe(client, "carla@example.org", "daily")
    watch(client, "thread", world.secret)
    watch(client, "category", world.team_category)
    as_user(client, auth, "amina")
    reply(client, world.secret, "New figures in the team thread.")
    new_thread(client, world.team_category, TEAM_GRANTS, "Internal.")
    with app.app_context():
        assert digest.queue_due() == 1
        team = db.session.get(Group, world.team)  # carla leaves before the sender runs
        team.members.remove(db.session.get(User, user_id(app, "carla")))
        db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert "1 sent" in result.output, result.output
    (carla,) = digests(smtp, "carla@example.org")
    body = carla.as_string()
    assert PUBLIC_TITLE in body  # still news to her: a public thread
    assert SECRET_TITLE not in body and TEAM_GRANTS not in body and "figures" not in body


def test_periods_weekly_and_daily_and_switching_off(app, mail_app, smtp, client, auth, world):
    as_user(client, auth, "amina")
    subscribe(client, "amina@example.org", "weekly")
    as_user(client, auth, "bob")
    reply(client, world.public, "A reply for the digest.")
    monday = utcnow() - timedelta(days=utcnow().weekday())
    with app.app_context():
        assert digest.period_key("weekly", monday) == digest.period_key(
            "weekly", monday + timedelta(days=6))
        assert digest.period_key("daily", monday) != digest.period_key(
            "daily", monday + timedelta(days=1))
        assert digest.queue_due() == 1
        assert digest.queue_due(utcnow() + timedelta(days=7)) == 1  # the next week
        db.session.delete(db.session.get(DigestSubscription, user_id(app, "amina")))
        db.session.commit()
        assert digest.queue_due(utcnow() + timedelta(days=14)) == 0
        report = delivery.deliver_due()
    assert report.cancelled == 2 and digests(smtp) == []  # switched off before sending


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_two_digest_runs_at_once_queue_one_digest(app, mail_app, smtp, client, auth, world):
    for name in ("amina", "bob", "carla", "dan"):
        as_user(client, auth, name)
        subscribe(client, f"{name}@example.org", "daily")
    counts, errors = [], []

    def run():
        with app.app_context():
            try:
                counts.append(digest.queue_due())
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()
    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and sum(counts) == 4
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 4


def test_the_digest_unsubscribe_link_stops_it(app, mail_app, smtp, client, auth, runner, world):
    as_user(client, auth, "amina")
    subscribe(client, "amina@example.org", "daily")
    as_user(client, auth, "bob")
    reply(client, world.public, "News.")
    runner.invoke(args=["digest", "send"])
    (digest_mail,) = digests(smtp, "amina@example.org")
    path = digest_mail["List-Unsubscribe"].strip("<>").removeprefix("https://forum.headstart.test")
    page = app.test_client().post(path)
    assert "you will no longer get the digest e-mail" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(DigestSubscription, user_id(app, "amina")) is None
    assert outbox_count(app, kind="digest") == 1
