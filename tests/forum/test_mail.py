"""Notification e-mail through a real SMTP server (aiosmtpd): content, unsubscribe, outages."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum import create_app
from forum.extensions import db
from forum.mail import delivery, outbox
from forum.models import Group, NotificationPreference, OutboxMessage, User
from forum.models._base import utcnow
from tests.forum.community import as_user, post
from tests.forum.notify_world import (  # noqa: F401 - fixtures
    BACKENDS, PUBLIC_TITLE, SECRET_TITLE, MailCatcher, build, free_port, html_part, mail_app,
    kinds_for, mail_config, outbox_count, reply, smtp, text_part, user_id, world,
)


def send(runner):
    """`flask --app forum mail send`; returns the CLI result."""
    return runner.invoke(args=["mail", "send"])


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_reply_e_mail_is_multipart_private_and_unsubscribes_in_one_click(
        app, mail_app, smtp, client, auth, runner, world):
    as_user(client, auth, "bob")
    reply(client, world.public, "We used a **steering committee** with rotating chairs.")
    assert outbox_count(app, status="pending") == 1
    result = send(runner)
    assert result.exit_code == 0 and "1 sent" in result.output, result.output
    assert outbox_count(app, status="sent") == 1
    (message,) = smtp.to("amina@example.org")
    assert message["To"] == "amina@example.org"
    assert message["From"] == "Headstart <forum@headstart.test>"
    assert message["Subject"] == f"Bob Otieno replied to your thread “{PUBLIC_TITLE}”"
    assert message.get_content_type() == "multipart/alternative"
    assert message["Message-ID"].endswith("@headstart.test>")
    text, html = text_part(message), html_part(message)
    assert "We used a steering committee with rotating chairs." in text
    assert f"https://forum.headstart.test/threads/{world.public}/" in text
    assert f'href="https://forum.headstart.test/threads/{world.public}/' in html
    raw = message.as_string()
    for other in ("bob@example.org", "carla@example.org", "dan@example.org"):
        assert other not in raw  # never another member's address
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.startswith("https://forum.headstart.test/unsubscribe/")
    assert send(runner).output.startswith("Mail: 0 sent")  # nothing twice
    # The mail client's one-click POST: no session, no CSRF token, only the signed link.
    path = unsubscribe.removeprefix("https://forum.headstart.test")
    stranger = app.test_client()
    assert stranger.get(path).status_code == 200  # a GET (link preview) changes nothing
    assert _reply_mail_on(app, "amina")
    assert stranger.post(path[:-3] + "xyz", data={"List-Unsubscribe": "One-Click"}).status_code == 400
    answered = stranger.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answered.status_code == 200 and not _reply_mail_on(app, "amina")
    reply(client, world.public, "A second reply, after unsubscribing.")
    assert outbox_count(app) == 1 and "reply" in kinds_for(app, "amina")


def _reply_mail_on(app, name) -> bool:
    with app.app_context():
        pref = db.session.get(NotificationPreference, (user_id(app, name), "reply"))
        return pref is None or pref.email


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_an_outage_loses_nothing_and_recovery_delivers_each_e_mail_once(
        app, client, auth, runner, world):
    down = MailCatcher(free_port())  # its port is known, nothing listens there yet
    app.config.update(mail_config(down.port))
    as_user(client, auth, "bob")
    reply(client, world.public, "Hello @dan and @carla.")  # amina, dan, carla
    as_user(client, auth, "dan")
    reply(client, world.public, "Thanks @bob.")  # amina, bob
    assert outbox_count(app, status="pending") == 5
    for attempt in (1, 2):
        result = send(runner)
        assert result.exit_code == 1 and "5 to retry" in result.output, result.output
        assert "ConnectionRefusedError" in result.output
        with app.app_context():
            rows = db.session.scalars(select(OutboxMessage)).all()
            assert {(r.status, r.attempts) for r in rows} == {("pending", attempt)}
            assert all("Connection" in r.last_error for r in rows)
    down.start()
    try:
        result = send(runner)
        assert result.exit_code == 0 and "5 sent" in result.output, result.output
        assert send(runner).output.startswith("Mail: 0 sent")
        received = sorted(rcpt for rcpt, _ in down.received for rcpt in rcpt)
        assert received == ["amina@example.org", "amina@example.org", "bob@example.org",
                            "carla@example.org", "dan@example.org"]
    finally:
        down.stop()


def test_failed_sends_back_off_and_a_dead_sender_s_claim_is_retried(app, runner, client, auth,
                                                                   world):
    down = MailCatcher(free_port())
    app.config.update(mail_config(down.port), MAIL_RETRY_BASE=60)
    as_user(client, auth, "bob")
    reply(client, world.public, "A reply.")
    assert send(runner).exit_code == 1
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage))
        assert row.attempts == 1 and row.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert send(runner).output.startswith("Mail: 0 sent, 0 cancelled, 0 to retry")  # waits
    down.start()
    try:
        with app.app_context():  # a sender died after claiming the row, 11 minutes ago
            db.session.execute(update(OutboxMessage).values(
                status="sending", claimed_at=utcnow() - timedelta(minutes=11)))
            db.session.commit()
        assert "1 sent" in send(runner).output
        assert len(down.received) == 1
    finally:
        down.stop()


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_two_senders_at_once_send_each_e_mail_once(app, mail_app, smtp, world):
    with app.app_context():
        amina = db.session.get(User, user_id(app, "amina"))
        for _ in range(12):
            outbox.enqueue(amina, "password_reset")
        db.session.commit()
    reports, errors = [], []

    def sender():
        with app.app_context():
            try:
                reports.append(delivery.deliver_due())
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()
    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.sent for r in reports) == 12 and len(smtp.messages) == 12
    assert len({m["Message-ID"] for m in smtp.messages}) == 12


def test_an_e_mail_says_only_what_its_reader_may_see_when_it_is_sent(app, mail_app, smtp, client,
                                                                    auth, runner, world):
    as_user(client, auth, "amina")
    reply(client, world.secret, "@carla the figures are in.")
    with app.app_context():  # carla leaves the team before the mail goes out
        team = db.session.get(Group, world.team)
        team.members.remove(db.session.get(User, user_id(app, "carla")))
        db.session.commit()
    as_user(client, auth, "bob")
    reply(client, world.public, "Read in the forum first.")
    as_user(client, auth, "amina")
    client.get(f"/threads/{world.public}")  # amina reads it before the sender runs
    assert "0 sent, 2 cancelled" in send(runner).output
    assert smtp.messages == []
    with app.app_context():
        reasons = set(db.session.scalars(select(OutboxMessage.last_error)))
    assert reasons == {"the member may no longer see it", "read in the forum already"}


def test_switching_e_mail_off_after_the_event_cancels_it(app, mail_app, smtp, client, auth,
                                                          runner, world):
    as_user(client, auth, "bob")
    reply(client, world.public, "A reply.")
    as_user(client, auth, "amina")
    post(client, "/settings/notifications", {"email": "amina@example.org", "digest": "off",
                                             "web_reply": "y"})
    assert "1 cancelled" in send(runner).output and smtp.messages == []


def test_without_a_mail_server_nothing_is_queued(app, client, auth, runner, world):
    as_user(client, auth, "bob")
    reply(client, world.public, "A reply.")
    assert outbox_count(app) == 0
    result = send(runner)
    assert result.exit_code == 1 and "MAIL_SERVER is not set" in result.output


def test_mail_test_checks_the_settings(app, runner, smtp):
    result = runner.invoke(args=["mail", "test", "ops@example.org"])
    assert result.exit_code == 1 and "MAIL_SERVER is not set" in result.output
    app.config.update(mail_config(smtp.port))
    result = runner.invoke(args=["mail", "test", "ops@example.org"])
    assert result.exit_code == 0, result.output
    (message,) = smtp.to("ops@example.org")
    assert message["Subject"] == "Headstart: test e-mail"
    assert runner.invoke(args=["mail", "test", "not-an-address"]).exit_code == 1
    app.config["MAIL_PORT"] = free_port()
    result = runner.invoke(args=["mail", "test", "ops@example.org"])
    assert result.exit_code == 1 and "did not take the message" in result.output
    assert "0 pending" in runner.invoke(args=["mail", "status"]).output


def test_the_background_sender_runs_only_when_asked(tmp_path, monkeypatch, smtp):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    base = {"TESTING": True, "SECRET_KEY": "t", "SEARCH_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'forum.sqlite'}",
            "WTF_CSRF_ENABLED": False, **mail_config(smtp.port)}
    assert "mail_worker" not in create_app(base).extensions  # tests: off unless asked
    app = create_app({**base, "MAIL_BACKGROUND": True, "MAIL_SEND_INTERVAL": 30})
    worker = app.extensions["mail_worker"]
    assert not worker.running  # nothing starts before the server serves a request
    with app.app_context():
        db.create_all()
        ids = build(app)
    client = app.test_client()
    try:
        client.post("/login", data={"login": "bob", "password": "correct-horse-42"})
        client.post(f"/threads/{ids.public}/reply", data={"body": "Background, please."})
        assert worker.running
        deadline = time.monotonic() + 10  # woken by the commit, not the 30 s interval
        while not smtp.to("amina@example.org") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(smtp.to("amina@example.org")) == 1
    finally:
        worker.stop()
        with app.app_context():
            db.engine.dispose()


def test_mail_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    for name, value in {"MAIL_SERVER": "smtp.example.org", "MAIL_PORT": "587",
                        "MAIL_USE_TLS": "1", "MAIL_USE_SSL": "0", "MAIL_USERNAME": "forum",
                        "MAIL_PASSWORD": "s3cret", "MAIL_DEFAULT_SENDER": "Forum <f@example.org>",
                        "FORUM_BASE_URL": "https://forum.example.org"}.items():
        monkeypatch.setenv(name, value)
    app = create_app()
    assert app.config["MAIL_PORT"] == 587 and app.config["MAIL_USE_TLS"] is True
    assert app.config["MAIL_USE_SSL"] is False and app.config["MAIL_PASSWORD"] == "s3cret"
    assert app.config["FORUM_BASE_URL"] == "https://forum.example.org"
    assert "mail_worker" in app.extensions  # a served forum sends in the background
    monkeypatch.setenv("MAIL_PORT", "twenty-five")
    with pytest.raises(RuntimeError, match="MAIL_PORT must be a number"):
        create_app()
