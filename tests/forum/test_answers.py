"""Accepted answers, helpful votes, saved threads, flags and notifications (issue 5)."""
import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Bookmark, Flag, Notification, Post, Thread, Vote
from tests.forum.community import as_user, audit_count, build, is_login_redirect, post


@pytest.fixture
def world(app):
    return build(app)


def thread_row(app, thread_id):
    with app.app_context():
        t = db.session.get(Thread, thread_id)
        return t.status, t.accepted_post_id


def count(app, model, **where):
    with app.app_context():
        stmt = select(func.count()).select_from(model).filter_by(**where)
        return db.session.scalar(stmt)


# --- accepted answers --------------------------------------------------------------

def test_asker_accepts_a_reply_and_the_thread_is_solved(app, client, auth, world):
    as_user(client, auth, "amina")
    response = post(client, f"/posts/{world.reply}/accept")
    assert response.status_code == 302
    assert thread_row(app, world.thread) == ("solved", world.reply)
    page = client.get(f"/threads/{world.thread}").get_data(as_text=True)
    assert "Accepted answer" in page and "Withdraw acceptance" in page


@pytest.mark.parametrize("username", ["bob", "sam"])
def test_member_who_is_not_the_asker_or_is_suspended_cannot_accept(app, client, auth, world,
                                                                   username):
    as_user(client, auth, username)
    assert post(client, f"/posts/{world.reply2}/accept").status_code == 403
    assert thread_row(app, world.thread) == ("open", None)
    assert "Accept this answer" not in client.get(f"/threads/{world.thread}").get_data(as_text=True)


def test_suspended_asker_cannot_accept(app, client, auth, world):
    with app.app_context():
        from forum.models import User
        user = db.session.scalar(select(User).where(User.username == "sam"))
        db.session.get(Thread, world.thread).author_id = user.id
        db.session.commit()
    as_user(client, auth, "sam")
    assert post(client, f"/posts/{world.reply}/accept").status_code == 403
    assert thread_row(app, world.thread) == ("open", None)


def test_guest_cannot_accept(app, client, world):
    assert is_login_redirect(post(client, f"/posts/{world.reply}/accept"))
    assert thread_row(app, world.thread) == ("open", None)


def test_accept_without_csrf_token_is_rejected(app, client, auth, world):
    as_user(client, auth, "amina")
    assert post(client, f"/posts/{world.reply}/accept", csrf=False).status_code == 400
    assert thread_row(app, world.thread) == ("open", None)


def test_moderator_accepts_and_it_is_audited(app, client, auth, world):
    as_user(client, auth, "helen")
    post(client, f"/posts/{world.reply}/accept")
    assert thread_row(app, world.thread) == ("solved", world.reply)
    assert audit_count(app, "answer.accept") == 1


def test_the_opening_post_cannot_be_the_answer(app, client, auth, world):
    as_user(client, auth, "amina")
    post(client, f"/posts/{world.opening}/accept")
    assert thread_row(app, world.thread) == ("open", None)


def test_accepting_another_reply_replaces_the_first(app, client, auth, world):
    as_user(client, auth, "amina")
    post(client, f"/posts/{world.reply}/accept")
    post(client, f"/posts/{world.reply2}/accept")
    assert thread_row(app, world.thread) == ("solved", world.reply2)


def test_unaccept_reopens_only_for_the_asker_or_a_moderator(app, client, auth, world):
    as_user(client, auth, "amina")
    post(client, f"/posts/{world.reply}/accept")
    as_user(client, auth, "bob")
    assert post(client, f"/threads/{world.thread}/unaccept").status_code == 403
    assert thread_row(app, world.thread) == ("solved", world.reply)
    as_user(client, auth, "amina")
    assert post(client, f"/threads/{world.thread}/unaccept", csrf=False).status_code == 400
    post(client, f"/threads/{world.thread}/unaccept")
    assert thread_row(app, world.thread) == ("open", None)


# --- helpful votes -----------------------------------------------------------------

def test_member_marks_helpful_once_and_can_take_it_back(app, client, auth, world):
    as_user(client, auth, "carla")
    post(client, f"/posts/{world.reply}/helpful", {"on": "1"})
    post(client, f"/posts/{world.reply}/helpful", {"on": "1"})  # a double click
    assert count(app, Vote, post_id=world.reply) == 1
    page = client.get(f"/threads/{world.thread}").get_data(as_text=True)
    assert "Helpful ✓" in page and "(1)" in page
    post(client, f"/posts/{world.reply}/helpful", {"on": "0"})
    assert count(app, Vote, post_id=world.reply) == 0


def test_several_members_add_up(app, client, auth, world):
    for name in ("amina", "carla", "dan"):
        as_user(client, auth, name)
        post(client, f"/posts/{world.reply}/helpful", {"on": "1"})
    as_user(client, auth, "bob")  # the author sees the count but no button
    page = client.get(f"/threads/{world.thread}").get_data(as_text=True)
    assert "3 found this helpful" in page
    assert count(app, Vote, post_id=world.reply) == 3


def test_no_helpful_vote_on_your_own_post(app, client, auth, world):
    as_user(client, auth, "bob")
    post(client, f"/posts/{world.reply}/helpful", {"on": "1"})
    assert count(app, Vote, post_id=world.reply) == 0


def test_suspended_member_cannot_vote(app, client, auth, world):
    as_user(client, auth, "sam")
    assert post(client, f"/posts/{world.reply}/helpful", {"on": "1"}).status_code == 403
    assert count(app, Vote) == 0


def test_guest_and_missing_token_cannot_vote(app, client, auth, world):
    assert is_login_redirect(post(client, f"/posts/{world.reply}/helpful", {"on": "1"}))
    as_user(client, auth, "carla")
    response = post(client, f"/posts/{world.reply}/helpful", {"on": "1"}, csrf=False)
    assert response.status_code == 400
    assert count(app, Vote) == 0


def test_no_vote_on_a_hidden_post(app, client, auth, world):
    with app.app_context():
        db.session.get(Post, world.reply).is_hidden = True
        db.session.commit()
    as_user(client, auth, "carla")
    assert post(client, f"/posts/{world.reply}/helpful", {"on": "1"}).status_code == 404
    assert count(app, Vote) == 0


# --- saved threads -----------------------------------------------------------------

def test_save_and_unsave_a_thread(app, client, auth, world):
    as_user(client, auth, "carla")
    post(client, f"/threads/{world.thread}/save", {"on": "1"})
    assert count(app, Bookmark, thread_id=world.thread) == 1
    assert "Saved ✓" in client.get(f"/threads/{world.thread}").get_data(as_text=True)
    saved = client.get("/saved")
    if saved.status_code == 200:  # the saved-threads page belongs to the users blueprint
        assert "How did you set up a pooled fund?" in saved.get_data(as_text=True)
    post(client, f"/threads/{world.thread}/save", {"on": "0"})
    assert count(app, Bookmark) == 0


def test_save_needs_a_member_and_a_token(app, client, auth, world):
    assert is_login_redirect(post(client, f"/threads/{world.thread}/save", {"on": "1"}))
    as_user(client, auth, "carla")
    assert post(client, f"/threads/{world.thread}/save", {"on": "1"}, csrf=False).status_code == 400
    assert count(app, Bookmark) == 0


def test_cannot_save_a_thread_you_cannot_see(app, client, auth, world):
    with app.app_context():
        db.session.get(Thread, world.thread).is_hidden = True
        db.session.commit()
    as_user(client, auth, "carla")
    assert post(client, f"/threads/{world.thread}/save", {"on": "1"}).status_code == 404
    assert count(app, Bookmark) == 0


# --- flags -------------------------------------------------------------------------

def flag(client, post_id, reason="spam", text=""):
    return post(client, f"/posts/{post_id}/flag", {"reason": reason, "text": text})


def test_member_flags_a_post_with_a_reason(app, client, auth, world):
    as_user(client, auth, "carla")
    assert "Why should a moderator" in client.get(f"/posts/{world.reply}/flag").get_data(as_text=True)
    assert flag(client, world.reply, "off-topic", "Not about funds").status_code == 302
    with app.app_context():
        f = db.session.scalar(select(Flag))
        assert (f.reason, f.text, f.resolved_at) == ("off-topic", "Not about funds", None)


def test_flag_validation(app, client, auth, world):
    as_user(client, auth, "carla")
    assert flag(client, world.reply, "other", "").status_code == 200  # form again, with error
    assert flag(client, world.reply, "rude").status_code == 200
    assert count(app, Flag) == 0


def test_a_member_flags_a_post_only_once(app, client, auth, world):
    as_user(client, auth, "carla")
    flag(client, world.reply)
    flag(client, world.reply, "harmful")
    assert count(app, Flag) == 1


@pytest.mark.parametrize("username, status", [("bob", 403), ("sam", 403)])
def test_own_post_and_suspended_member_cannot_flag(app, client, auth, world, username, status):
    as_user(client, auth, username)
    assert flag(client, world.reply).status_code == status
    assert count(app, Flag) == 0


def test_guest_and_missing_token_cannot_flag(app, client, auth, world):
    assert is_login_redirect(flag(client, world.reply))
    as_user(client, auth, "carla")
    response = post(client, f"/posts/{world.reply}/flag", {"reason": "spam"}, csrf=False)
    assert response.status_code == 400
    assert count(app, Flag) == 0


def test_three_flaggers_hide_the_post_pending_review(app, client, auth, world):
    for name in ("amina", "carla"):
        as_user(client, auth, name)
        flag(client, world.reply)
    with app.app_context():
        assert not db.session.get(Post, world.reply).is_hidden
    as_user(client, auth, "dan")
    flag(client, world.reply)
    with app.app_context():
        p = db.session.get(Post, world.reply)
        assert p.is_hidden and "pending review" in p.hidden_reason
        assert db.session.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == p.author_id)) == 1
    assert audit_count(app, "post.auto_hide") == 1
    body = "We used a steering committee"
    assert body not in client.get(f"/threads/{world.thread}").get_data(as_text=True)
    as_user(client, auth, "bob")  # the author still reads it, with the reason
    page = client.get(f"/threads/{world.thread}").get_data(as_text=True)
    assert body in page and "pending review" in page
    as_user(client, auth, "helen")
    assert body in client.get(f"/threads/{world.thread}").get_data(as_text=True)
    post(client, "/logout")
    assert body not in client.get(f"/threads/{world.thread}").get_data(as_text=True)


@pytest.mark.app_config(FLAG_HIDE_THRESHOLD=1)
def test_the_threshold_comes_from_the_config(app, client, auth, world):
    as_user(client, auth, "carla")
    flag(client, world.reply)
    with app.app_context():
        assert db.session.get(Post, world.reply).is_hidden


# --- notifications -----------------------------------------------------------------

def test_notifications_page_and_unread_count(app, client, auth, world):
    with app.app_context():
        from forum.notifications import services as notify
        notify.notice(db.session.get(Post, world.reply).author_id, "Your post was hidden: spam.")
        db.session.commit()
    as_user(client, auth, "bob")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Your post was hidden: spam." in page and "Mark all 1 as read" in page
    assert post(client, "/notifications/read", csrf=False).status_code == 400
    post(client, "/notifications/read")
    assert "Mark all" not in client.get("/notifications").get_data(as_text=True)
    assert count(app, Notification, read_at=None) == 0


def test_guest_has_no_notifications_page(client, world):
    assert is_login_redirect(client.get("/notifications"))


# --- suspended members cannot post -------------------------------------------------

def test_suspended_member_cannot_reply_or_open_a_thread(app, client, auth, world):
    as_user(client, auth, "sam")
    response = post(client, f"/threads/{world.thread}/reply", {"body": "Let me in."})
    assert response.status_code == 403
    post(client, "/threads/new", {"title": "A thread from a suspended member",
                                  "body": "Body", "category": world.category,
                                  "kind": "question", "submit": "Post thread"})
    with app.app_context():
        assert db.session.scalar(select(func.count(Thread.id))) == 1
        assert db.session.scalar(select(func.count(Post.id))) == 3
