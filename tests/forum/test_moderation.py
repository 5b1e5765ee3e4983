"""Moderation: flags queue, thread and post tools, duplicates, the audit log (issue 5)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import AuditLog, Category, Flag, Notification, Post, Thread, User
from forum.notifications.render import describe
from tests.factories import make_category, make_reply, make_thread, make_user
from tests.forum.search_fixtures import make_app
from tests.forum.community import as_user, audit_count, build, is_login_redirect, post


@pytest.fixture
def world(app):
    return build(app)


def get(app, model, id_):
    with app.app_context():
        row = db.session.get(model, id_)
        db.session.expunge(row)
        return row


def notes_for(app, username):
    """The member's notifications as they read them now (rendered, permission-checked)."""
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        rows = db.session.scalars(select(Notification).where(Notification.user_id == user.id))
        return [item.plain for item in map(lambda n: describe(user, n), rows) if item]


# --- who may moderate --------------------------------------------------------------

THREAD_ACTIONS = [("pin", {"pin-scope": "site"}), ("unpin", {}), ("close", {}),
                  ("reopen", {}), ("hide", {"hide-reason": "spam"}), ("unhide", {}),
                  ("tags", {"tags-tags": "x"}), ("duplicate", {"duplicate-original": "1"})]


@pytest.mark.parametrize("username", ["amina", "bob", "sam"])
def test_members_cannot_moderate(app, client, auth, world, username):
    as_user(client, auth, username)
    for url in ("/moderation", "/moderation/log", f"/moderation/threads/{world.thread}",
                f"/moderation/posts/{world.reply}"):
        assert client.get(url).status_code == 403, url
    for name, data in THREAD_ACTIONS + [("move", {"move-category": str(world.lounge)})]:
        response = post(client, f"/moderation/threads/{world.thread}/{name}", data)
        assert response.status_code == 403, name
    assert post(client, f"/moderation/posts/{world.reply}/hide", {"reason": "x"}).status_code == 403
    assert post(client, f"/moderation/flags/{world.reply}", {f"p{world.reply}-hide": "1"}).status_code == 403
    t = get(app, Thread, world.thread)
    assert (t.status, t.is_hidden, t.pinned_scope, t.category_id) == ("open", False, None,
                                                                     world.category)
    assert audit_count(app, "thread.pin") == 0


def test_guests_are_sent_to_log_in(client, world):
    assert is_login_redirect(client.get("/moderation"))
    assert is_login_redirect(post(client, f"/moderation/threads/{world.thread}/close"))


@pytest.mark.parametrize("name, data", THREAD_ACTIONS)
def test_every_thread_action_needs_the_csrf_token(app, client, auth, world, name, data):
    as_user(client, auth, "helen")
    response = post(client, f"/moderation/threads/{world.thread}/{name}", data, csrf=False)
    assert response.status_code == 400
    assert get(app, Thread, world.thread).status == "open"


# --- pin, close, hide, move, tags --------------------------------------------------

def test_pin_site_wide_with_expiry_then_unpin(app, client, auth, world):
    with app.app_context():
        amina = db.session.scalar(select(User).where(User.username == "amina"))
        make_thread(amina, db.session.get(Category, world.category), "A newer thread on top")
    as_user(client, auth, "helen")
    until = (date.today() + timedelta(days=10)).isoformat()
    post(client, f"/moderation/threads/{world.thread}/pin", {"pin-scope": "site", "pin-until": until})
    t = get(app, Thread, world.thread)
    assert t.pinned_scope == "site" and t.pinned_until.date().isoformat() == until
    html = client.get("/").get_data(as_text=True)
    assert html.index("How did you set up a pooled fund?") < html.index("A newer thread on top")
    post(client, f"/moderation/threads/{world.thread}/unpin")
    assert get(app, Thread, world.thread).pinned_scope is None
    assert audit_count(app, "thread.pin") == audit_count(app, "thread.unpin") == 1


def test_pin_in_category_and_refuse_a_past_date(app, client, auth, world):
    as_user(client, auth, "helen")
    past = (date.today() - timedelta(days=1)).isoformat()
    response = post(client, f"/moderation/threads/{world.thread}/pin",
                    {"pin-scope": "category", "pin-until": past})
    assert response.status_code == 400 and "future" in response.get_data(as_text=True)
    post(client, f"/moderation/threads/{world.thread}/pin", {"pin-scope": "category"})
    t = get(app, Thread, world.thread)
    assert (t.pinned_scope, t.pinned_until) == ("category", None)


def test_close_stops_replies_and_reopen_restores(app, client, auth, world):
    as_user(client, auth, "helen")
    post(client, f"/moderation/threads/{world.thread}/close", {"close-reason": "answered"})
    assert get(app, Thread, world.thread).status == "closed"
    as_user(client, auth, "carla")
    post(client, f"/threads/{world.thread}/reply", {"body": "One more thing."})
    assert get(app, Thread, world.thread).reply_count == 2
    as_user(client, auth, "helen")
    post(client, f"/moderation/threads/{world.thread}/reopen")
    assert get(app, Thread, world.thread).status == "open"
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "thread.close"))
        assert (entry.actor.username, entry.reason, entry.target_id) == ("helen", "answered",
                                                                         world.thread)


def test_hide_thread_needs_a_reason_shown_to_the_author(app, client, auth, world):
    as_user(client, auth, "helen")
    assert post(client, f"/moderation/threads/{world.thread}/hide", {"hide-reason": ""}).status_code == 400
    assert not get(app, Thread, world.thread).is_hidden
    post(client, f"/moderation/threads/{world.thread}/hide", {"hide-reason": "Personal data"})
    assert get(app, Thread, world.thread).is_hidden
    assert any("Personal data" in n for n in notes_for(app, "amina"))
    as_user(client, auth, "amina")
    assert "Personal data" in client.get(f"/threads/{world.thread}").get_data(as_text=True)
    as_user(client, auth, "carla")
    assert client.get(f"/threads/{world.thread}").status_code == 404
    as_user(client, auth, "helen")
    post(client, f"/moderation/threads/{world.thread}/unhide")
    post(client, "/logout")
    assert client.get(f"/threads/{world.thread}").status_code == 200



def test_hidden_thread_leaves_the_feeds(app, client, auth, world):
    title = "How did you set up a pooled fund?"
    assert title in client.get("/feed.atom").get_data(as_text=True)
    as_user(client, auth, "helen")
    post(client, f"/moderation/threads/{world.thread}/hide", {"hide-reason": "Personal data"})
    as_user(client, auth, "carla")
    for url in ("/feed.atom", "/c/pooled-funding/feed.atom"):
        assert title not in client.get(url).get_data(as_text=True)


def test_hide_and_unhide_a_post(app, client, auth, world):
    as_user(client, auth, "helen")
    assert post(client, f"/moderation/posts/{world.reply}/hide", {"reason": ""}).status_code == 400
    post(client, f"/moderation/posts/{world.reply}/hide", {"reason": "Advertising"})
    p = get(app, Post, world.reply)
    assert p.is_hidden and p.hidden_reason == "Advertising"
    assert any("Advertising" in n for n in notes_for(app, "bob"))
    as_user(client, auth, "carla")
    assert "steering committee" not in client.get(f"/threads/{world.thread}").get_data(as_text=True)
    as_user(client, auth, "helen")
    assert post(client, f"/moderation/posts/{world.reply}/unhide", csrf=False).status_code == 400
    post(client, f"/moderation/posts/{world.reply}/unhide")
    assert not get(app, Post, world.reply).is_hidden
    assert audit_count(app, "post.hide") == audit_count(app, "post.unhide") == 1



def test_hiding_the_opening_post_hides_the_thread(app, client, auth, world):
    as_user(client, auth, "helen")
    assert "hiding it hides the whole thread" in client.get(
        f"/moderation/posts/{world.opening}").get_data(as_text=True)
    post(client, f"/moderation/posts/{world.opening}/hide", {"reason": "Off-topic"})
    t = get(app, Thread, world.thread)
    assert (t.is_hidden, t.hidden_reason) == (True, "Off-topic")
    post(client, "/logout")
    assert client.get(f"/threads/{world.thread}").status_code == 404
    as_user(client, auth, "helen")
    post(client, f"/moderation/posts/{world.opening}/unhide")
    assert not get(app, Thread, world.thread).is_hidden

def test_move_changes_visibility_for_a_guest_at_once(app, client, auth, world):
    assert client.get(f"/threads/{world.thread}").status_code == 200
    as_user(client, auth, "helen")
    page = client.get(f"/moderation/threads/{world.thread}").get_data(as_text=True)
    assert "Lounge (members)" in page
    post(client, f"/moderation/threads/{world.thread}/move", {"move-category": str(world.lounge)})
    assert get(app, Thread, world.thread).category_id == world.lounge
    post(client, "/logout")
    assert client.get(f"/threads/{world.thread}").status_code == 404
    assert "How did you set up" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "thread.move"))
        assert entry.details == "from Pooled funding to Lounge"


def test_edit_tags(app, client, auth, world):
    as_user(client, auth, "helen")
    post(client, f"/moderation/threads/{world.thread}/tags", {"tags-tags": "Pooled Funds, governance"})
    with app.app_context():
        assert db.session.get(Thread, world.thread).tag_names == ["governance", "pooled-funds"]
    assert audit_count(app, "thread.tags") == 1


def test_moderator_edits_any_post_with_history(app, client, auth, world):
    as_user(client, auth, "helen")
    post(client, f"/posts/{world.reply}/edit", {"body": "Edited by a moderator."})
    with app.app_context():
        p = db.session.get(Post, world.reply)
        assert p.body == "Edited by a moderator." and len(p.revisions) == 1
    assert audit_count(app, "post.edit") == 1
    post(client, f"/posts/{world.reply}/delete")
    post(client, f"/posts/{world.reply}/restore")
    assert audit_count(app, "post.delete") == audit_count(app, "post.restore") == 1


# --- duplicates --------------------------------------------------------------------

@pytest.fixture
def dup(app, world):
    """A later thread asking the same as world.thread, with two replies."""
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        t = make_thread(users["carla"], db.session.get(Category, world.category),
                        "Setting up a pooled fund: how?", "Same question again.")
        make_reply(users["dan"], t, "See the other thread.")
        make_reply(users["bob"], t, "Committee first.")
        return t.id


def test_mark_duplicate_closes_links_and_moves_replies(app, client, auth, world, dup):
    as_user(client, auth, "helen")
    response = post(client, f"/moderation/threads/{dup}/duplicate", {
        "duplicate-original": f"http://localhost/threads/{world.thread}/how-did-you",
        "duplicate-move_replies": "y", "duplicate-reason": "same question"})
    assert response.status_code == 302
    t, original = get(app, Thread, dup), get(app, Thread, world.thread)
    assert (t.status, t.duplicate_of_id, t.reply_count) == ("closed", world.thread, 0)
    assert original.reply_count == 4
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == dup)) == 1
    page = client.get(f"/threads/{dup}").get_data(as_text=True)
    assert "Closed as a duplicate of" in page and f"/threads/{world.thread}" in page
    assert "Committee first." in client.get(f"/threads/{world.thread}").get_data(as_text=True)
    assert any("duplicate" in n for n in notes_for(app, "carla"))
    assert audit_count(app, "thread.duplicate") == 1


def test_mark_duplicate_without_moving_replies(app, client, auth, world, dup):
    as_user(client, auth, "helen")
    post(client, f"/moderation/threads/{dup}/duplicate", {"duplicate-original": str(world.thread)})
    assert get(app, Thread, dup).reply_count == 2 and get(app, Thread, world.thread).reply_count == 2
    post(client, f"/moderation/threads/{dup}/reopen")
    t = get(app, Thread, dup)
    assert (t.status, t.duplicate_of_id) == ("open", None)


@pytest.mark.parametrize("original", ["itself", "9999", "not a thread"])
def test_mark_duplicate_refuses_bad_originals(app, client, auth, world, dup, original):
    as_user(client, auth, "helen")
    value = str(dup) if original == "itself" else original
    response = post(client, f"/moderation/threads/{dup}/duplicate", {"duplicate-original": value})
    assert response.status_code == 400
    assert get(app, Thread, dup).status == "open"


def test_duplicate_form_proposes_likely_originals(app, client, auth, world, dup, monkeypatch):
    from forum import searching

    def fake_similar(user, title, body, limit=5, exclude_ids=(), **kw):
        assert dup in exclude_ids
        return [searching.SimilarHit(thread=db.session.get(Thread, world.thread), score=0.9)]

    monkeypatch.setattr(searching, "similar_threads", fake_similar)
    as_user(client, auth, "helen")
    page = client.get(f"/moderation/threads/{dup}").get_data(as_text=True)
    assert "Likely originals" in page and f"original={world.thread}" in page
    prefilled = client.get(f"/moderation/threads/{dup}?original={world.thread}").get_data(as_text=True)
    assert f'value="{world.thread}"' in prefilled


# --- flags review queue ------------------------------------------------------------

def flag_by(client, auth, names, post_id, reason="spam"):
    for name in names:
        as_user(client, auth, name)
        post(client, f"/posts/{post_id}/flag", {"reason": reason, "text": f"by {name}"})


def test_queue_lists_flags_and_hiding_tells_each_flagger(app, client, auth, world):
    flag_by(client, auth, ["amina", "carla"], world.reply)
    as_user(client, auth, "helen")
    queue = client.get("/moderation").get_data(as_text=True)
    assert "2 members flagged it" in queue and "by carla" in queue
    assert post(client, f"/moderation/flags/{world.reply}", {f"p{world.reply}-hide": "1"},
                csrf=False).status_code == 400
    post(client, f"/moderation/flags/{world.reply}",
         {f"p{world.reply}-note": "Advertising", f"p{world.reply}-hide": "Hide the post"})
    p = get(app, Post, world.reply)
    assert p.is_hidden and p.hidden_reason == "Advertising"
    with app.app_context():
        assert {f.outcome for f in db.session.scalars(select(Flag))} == {"actioned"}
    for name in ("amina", "carla"):
        assert any("hid the post" in n for n in notes_for(app, name))
    assert audit_count(app, "flags.actioned") == 1
    assert "No open flags" in client.get("/moderation").get_data(as_text=True)


def test_dismissing_unhides_a_post_hidden_by_the_threshold(app, client, auth, world):
    flag_by(client, auth, ["amina", "carla", "dan"], world.reply)
    assert get(app, Post, world.reply).is_hidden
    as_user(client, auth, "helen")
    post(client, f"/moderation/flags/{world.reply}", {f"p{world.reply}-dismiss": "Dismiss the flags"})
    assert not get(app, Post, world.reply).is_hidden
    with app.app_context():
        assert {f.outcome for f in db.session.scalars(select(Flag))} == {"dismissed"}
    assert any("left the post as it is" in n for n in notes_for(app, "dan"))
    assert audit_count(app, "flags.dismissed") == 1


# --- the audit log -----------------------------------------------------------------

def test_audit_log_page_filters_by_action_and_actor(app, client, auth, world):
    as_user(client, auth, "helen")
    post(client, f"/moderation/threads/{world.thread}/close", {"close-reason": "done here"})
    as_user(client, auth, "root")
    post(client, f"/moderation/threads/{world.thread}/reopen", {"reopen-reason": "more to say"})
    page = client.get("/moderation/log").get_data(as_text=True)
    assert "thread.close" in page and "thread.reopen" in page and "done here" in page
    only_close = client.get("/moderation/log?action=thread.close").get_data(as_text=True)
    assert "done here" in only_close and "more to say" not in only_close
    by_root = client.get("/moderation/log?actor=root").get_data(as_text=True)
    assert "more to say" in by_root and "done here" not in by_root


# --- hidden content stays out of the JSON API --------------------------------------

@pytest.fixture
def api_world(tmp_path, monkeypatch):
    """The search engine switched on (real model), with a thread that gets moderated."""
    from forum.threads import services as thread_services
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path)
    with app.app_context():
        member, mod = make_user("member1"), make_user("mod1", role="moderator")
        lounge = make_category("Lounge", visibility="members")
        thread = thread_services.create_thread(member, make_category("Procurement"),
                                               "Joint vehicle procurement with an LTA",
                                               "Long-term agreement QX-7731 for vehicles.")
        yield app, thread, mod, lounge
        db.session.remove()


API_URLS = ["/api/v1/search?q=QX-7731 vehicle procurement",
            "/api/v1/similar?title=QX-7731 vehicle procurement LTA"]


def api_titles(app, url):
    return [r["title"] for r in app.test_client().get(url).get_json()["results"]]


def test_hidden_thread_leaves_the_api_at_once(api_world):
    from forum.moderation import services as moderation
    app, thread, mod, _ = api_world
    assert all("Joint vehicle procurement with an LTA" in api_titles(app, u) for u in API_URLS)
    moderation.hide_thread(mod, thread, "spam")
    assert all(api_titles(app, u) == [] for u in API_URLS)


def test_moved_thread_follows_the_new_visibility_in_the_api(api_world):
    from forum.moderation import services as moderation
    app, thread, mod, lounge = api_world
    moderation.move_thread(mod, thread, lounge)
    assert all(api_titles(app, u) == [] for u in API_URLS)



def test_flags_on_an_opening_post_hide_its_thread_everywhere(api_world):
    from forum.answers import services as answers
    app, thread, mod, _ = api_world
    flaggers = [make_user(f"flagger{i}") for i in range(3)]
    for user in flaggers:
        answers.flag_post(user, thread.opening_post, "spam", threshold=3)
    assert thread.is_hidden and not thread.opening_post.is_hidden
    assert all(api_titles(app, u) == [] for u in API_URLS)
    from forum.moderation import flags
    flags.resolve_flags(mod, thread.opening_post, "dismissed")
    assert not thread.is_hidden
    assert all(api_titles(app, u) for u in API_URLS)
