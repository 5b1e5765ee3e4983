"""The inbox renders when read, through permissions; grouping, read state, watches and settings."""
import pytest
from sqlalchemy import select

from forum.admin_services import add_to_group
from forum.extensions import db
from forum.models import Group, Notification, NotificationPreference, Thread, User
from forum.notifications import services as notify
from forum.notifications.inbox import unread_count
from tests.forum.community import as_user, post
from tests.forum.notify_world import (  # noqa: F401 - fixtures
    BACKENDS, PUBLIC_TITLE, SECRET_TITLE, inbox, kinds_for, reply, user_id, watch, world,
)


def badge(client) -> str:
    """The unread count in the page header ('' when none)."""
    html = client.get("/saved").get_data(as_text=True)
    start = html.find('href="/notifications">Notifications')
    segment = html[start:html.find("</a>", start)]
    return segment.split('class="badge">')[1].split("<")[0] if "badge" in segment else ""


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_member_who_leaves_the_group_sees_nothing_of_it(app, client, auth, world):
    as_user(client, auth, "amina")
    reply(client, world.secret, "@carla, can you check the figures?")
    as_user(client, auth, "carla")
    assert SECRET_TITLE in inbox(client) and badge(client) == "1"
    with app.app_context():
        team = db.session.get(Group, world.team)
        team.members.remove(db.session.get(User, user_id(app, "carla")))
        db.session.commit()
    page = inbox(client)
    assert SECRET_TITLE not in page and "figures" not in page and "Amina" not in page
    assert badge(client) == ""
    with app.app_context():
        assert unread_count(db.session.get(User, user_id(app, "carla"))) == 0
        assert db.session.scalar(select(Notification.detail)) == ""  # no words stored
        add_to_group(db.session.get(Group, world.team), db.session.get(User, user_id(app, "carla")))
    assert SECRET_TITLE in inbox(client)  # back in the team: it is theirs to see again


def test_a_thread_moved_out_of_reach_disappears_and_renames_follow(app, client, auth, world):
    as_user(client, auth, "dan")
    watch(client, "thread", world.public)
    as_user(client, auth, "bob")
    reply(client, world.public, "A reply.")
    as_user(client, auth, "amina")  # renames the thread: notifications follow the new title
    with app.app_context():
        opening = db.session.get(Thread, world.public).opening_post.id
    post(client, f"/posts/{opening}/edit", {"body": "We start one next year.",
                                            "title": "Pooled fund: how to start one"})
    as_user(client, auth, "dan")
    page = inbox(client)
    assert "Pooled fund: how to start one" in page and PUBLIC_TITLE not in page
    as_user(client, auth, "helen")
    post(client, f"/moderation/threads/{world.public}/move", {"move-category": world.team_category})
    as_user(client, auth, "dan")
    assert "Pooled fund" not in inbox(client) and badge(client) == ""
    as_user(client, auth, "helen")
    post(client, f"/moderation/threads/{world.public}/hide", {"hide-reason": "Off-topic"})
    as_user(client, auth, "amina")  # her own hidden thread: she still sees its notices
    assert "was hidden by a moderator: Off-topic" in inbox(client)


def test_replies_in_one_thread_are_grouped_and_visiting_marks_them_read(app, client, auth, world):
    for name in ("bob", "dan", "carla"):
        as_user(client, auth, name)
        reply(client, world.public, f"Reply by {name}.")
    as_user(client, auth, "amina")
    page = inbox(client)
    assert "3 new replies in your thread" in page and page.count(PUBLIC_TITLE) == 1
    assert badge(client) == "3"
    client.get(f"/threads/{world.public}")  # reading the thread reads its notifications
    assert badge(client) == ""
    page = inbox(client)
    assert page.count("replied to your thread") == 3 and "new replies" not in page


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_view_that_changes_nothing_writes_nothing(app, client, auth, world):
    """Reading a thread again writes only what changed: a new notification is read, the
    visit noted once an hour; a plain re-read sends no INSERT, UPDATE or commit."""
    from datetime import timedelta

    from sqlalchemy import event

    from forum.models import ThreadRead
    from forum.notifications.inbox import READ_NOTE_EVERY

    as_user(client, auth, "amina")
    client.get(f"/threads/{world.public}")  # the first visit is counted
    writes = []

    def note(conn, cursor, statement, *args):
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    def commit(conn):
        writes.append("COMMIT")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    event.listen(engine, "commit", commit)
    try:
        assert client.get(f"/threads/{world.public}").status_code == 200
        assert writes == [], writes
        as_user(client, auth, "bob")
        reply(client, world.public, "A reply to read.")
        as_user(client, auth, "amina")
        assert badge(client) == "1"
        writes.clear()
        client.get(f"/threads/{world.public}")
        assert any("UPDATE notifications" in w for w in writes) and badge(client) == ""
        with app.app_context():
            read = db.session.get(ThreadRead, (user_id(app, "amina"), world.public))
            earlier = read.last_read_at = read.last_read_at - READ_NOTE_EVERY - timedelta(minutes=1)
            db.session.commit()
        client.get(f"/threads/{world.public}")
        with app.app_context():
            assert db.session.get(ThreadRead, (user_id(app, "amina"), world.public)).last_read_at > earlier
    finally:
        event.remove(engine, "before_cursor_execute", note)
        event.remove(engine, "commit", commit)


def test_mark_all_read_needs_a_token(app, client, auth, world):
    as_user(client, auth, "bob")
    reply(client, world.public, "A reply.")
    as_user(client, auth, "amina")
    assert post(client, "/notifications/read", csrf=False).status_code == 400
    assert badge(client) == "1"
    post(client, "/notifications/read")
    assert badge(client) == "" and "Mark all" not in inbox(client)


def test_notices_about_no_thread_and_kept_legacy_notices(app, client, auth, world):
    with app.app_context():
        amina = db.session.get(User, user_id(app, "amina"))
        notify.notice(amina.id, "Your account's suspension has been lifted.")
        # A notice kept from before issue 11 shows only while its thread is visible.
        db.session.add(Notification(user=amina, kind="notice", thread_id=world.secret,
                                    detail=f"Your thread “{SECRET_TITLE}” is visible again."))
        db.session.commit()
    as_user(client, auth, "amina")
    page = inbox(client)
    assert "suspension has been lifted" in page and SECRET_TITLE in page
    with app.app_context():
        team = db.session.get(Group, world.team)
        team.members.remove(db.session.get(User, user_id(app, "amina")))
        db.session.commit()
    page = inbox(client)
    assert "suspension has been lifted" in page and SECRET_TITLE not in page


def test_settings_switch_kinds_off_and_bad_input_keeps_the_form(app, client, auth, world):
    as_user(client, auth, "amina")
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert 'name="email" type="email" value="amina@example.org"' in page
    assert 'checked id="email_reply"' in page  # on by default
    assert '" id="email_watch_reply"' in page  # off by default
    bad = post(client, "/settings/notifications", {"email": "not-an-address", "digest": "daily",
                                                   "web_mention": "y"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "Enter a valid e-mail address" in html
    assert 'value="not-an-address"' in html and 'checked id="digest-1"' in html
    # Issue 12: an address of another account is answered like any new address: it waits
    # for its confirmation link (tests/forum/test_accounts_email.py).
    taken = post(client, "/settings/notifications", {"email": "BOB@example.org", "digest": "off"})
    assert taken.status_code == 302
    assert "belongs to another account" not in client.get("/settings/notifications").get_data(
        as_text=True)
    nodigest = post(client, "/settings/notifications", {"email": "", "digest": "weekly"})
    assert "A digest needs an e-mail address" in nodigest.get_data(as_text=True)
    # Replies to my threads: neither in the forum nor by e-mail.
    done = post(client, "/settings/notifications", {"email": "amina@example.org", "digest": "off",
                                                    "web_mention": "y"})
    assert done.status_code == 302
    with app.app_context():
        pref = db.session.get(NotificationPreference, (user_id(app, "amina"), "reply"))
        assert (pref.web, pref.email) == (False, False)
    as_user(client, auth, "bob")
    reply(client, world.public, "Nobody hears this one.")
    reply(client, world.public, "Hello @amina.")
    assert kinds_for(app, "amina") == ["mention"]


def test_watch_buttons_and_the_watching_page(app, client, auth, world):
    as_user(client, auth, "dan")
    page = client.get(f"/threads/{world.public}").get_data(as_text=True)
    assert "Watch replies" in page
    watch(client, "thread", world.public)
    assert "Watching replies ✓" in client.get(f"/threads/{world.public}").get_data(as_text=True)
    assert "Watch new threads in Funding" in client.get("/c/funding").get_data(as_text=True)
    listing = client.get("/?tag=pooled-funds&country=Kenya").get_data(as_text=True)
    assert "Watch #pooled-funds" in listing and "Watch Kenya" in listing
    empty = post(client, "/watching", {"kind": "tag", "value": ""})
    assert empty.status_code == 200 and "Give a tag or a country" in empty.get_data(as_text=True)
    long = post(client, "/watching", {"kind": "country", "value": "x" * 101})
    assert "at most 100 characters" in long.get_data(as_text=True)
    assert 'value="' + "x" * 101 + '"' in long.get_data(as_text=True)
    post(client, "/watching", {"kind": "country", "value": "Senegal"})
    page = client.get("/watching").get_data(as_text=True)
    assert PUBLIC_TITLE in page and "Senegal" in page
    post(client, "/watch", {"kind": "planet", "value": "mars", "on": "1"})
    assert "Invalid value" in client.get("/watching").get_data(as_text=True)
    watch(client, "country", "senegal", on=False)
    assert "Senegal" not in client.get("/watching").get_data(as_text=True)


def test_guests_have_no_inbox_watches_or_settings(client, world):
    for url in ("/notifications", "/settings/notifications", "/watching", "/mentions?q=a"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
