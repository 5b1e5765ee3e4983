"""Profiles, contribution counts per viewer, profile settings and saved threads."""
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from forum.extensions import db
from forum.models import User
from forum.models._base import utcnow
from forum.users.services import contributions
from tests.factories import (
    make_bookmark, make_category, make_featured, make_group, make_reply, make_thread,
    make_user, make_vote,
)


@pytest.fixture
def world(app):
    """amina's contributions spread over public, members, group, hidden and deleted places."""
    with app.app_context():
        amina = make_user("amina", display_name="Amina Diallo", country="Senegal",
                          organisation="UNDP Dakar", expertise="pooled funds, procurement",
                          bio="Ten years of joint programmes.\nAsk me about <script>alert(1)</script> **funds**.")
        bob, carol = make_user("bob"), make_user("carol")
        make_user("mod", role="moderator")
        kenya = make_group("kenya-team", [amina, make_user("wanjiru")])
        public, members = make_category("Pooled funding"), make_category("Lounge", "members")
        group = make_category("Kenya team", "group", kenya)
        make_thread(amina, public, "Public thread by amina")
        make_thread(amina, members, "Members thread by amina")
        make_thread(amina, group, "Group thread by amina")
        make_thread(amina, public, "Hidden thread by amina", hidden=True)
        make_thread(amina, public, "Deleted thread by amina", deleted=True)
        bobs = make_thread(bob, public, "Bob asks about pooled funds")
        accepted = make_reply(amina, bobs, "Here is how we did it.", accepted=True)
        make_reply(amina, bobs, "A hidden reply", hidden=True)
        make_reply(amina, bobs, "A deleted reply", deleted=True)
        make_reply(amina, make_thread(bob, group, "Bob in the group"), "Group reply")
        for voter in (bob, carol, amina):  # amina's own vote does not count
            make_vote(voter, accepted)
        make_featured(bobs, bob)
    return app


def _counts(app, viewer_name):
    with app.app_context():
        viewer = (db.session.scalar(select(User).where(User.username == viewer_name))
                  if viewer_name else AnonymousUserMixin())
        amina = db.session.scalar(select(User).where(User.username == "amina"))
        c = contributions(viewer, amina)
        return c.threads, c.answers, c.accepted, c.helpful_votes, c.featured


@pytest.mark.parametrize("viewer, expected", [
    (None, (1, 1, 1, 2, 1)),  # guest: public only
    ("carol", (2, 1, 1, 2, 1)),  # member: + members category
    ("wanjiru", (3, 2, 1, 2, 1)),  # group member: + group thread and reply
    ("amina", (4, 3, 1, 2, 1)),  # herself: + her hidden thread and reply
    ("mod", (4, 3, 1, 2, 1)),  # moderator: everything not deleted
])
def test_counts_only_what_the_viewer_may_see(world, viewer, expected):
    assert _counts(world, viewer) == expected


def test_profile_shows_fields_counts_and_recent_threads(world, client):
    html = client.get("/u/amina").get_data(as_text=True)
    for text in ("Amina Diallo", "@amina", "Senegal", "UNDP Dakar", "pooled funds, procurement",
                 "<strong>1</strong> thread started", "<strong>1</strong> answer",
                 "<strong>1</strong> accepted answer", "<strong>2</strong> helpful votes received",
                 "<strong>1</strong> featured practice contributed to",
                 "Public thread by amina"):
        assert text in html, text
    for secret in ("Members thread", "Group thread", "Hidden thread", "Deleted thread"):
        assert secret not in html


def test_bio_is_escaped_plain_text(world, client):
    html = client.get("/u/amina").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **funds**" in html  # no Markdown either
    assert "joint programmes.<br>Ask me" in html  # line breaks kept


def test_profile_lookup(world, client):
    assert client.get("/u/AMINA").status_code == 200
    assert client.get("/u/nobody").status_code == 404


def test_placeholder_profile(app, client):
    with app.app_context():
        make_user("Old.Archive", placeholder=True)
    html = client.get("/u/old.archive").get_data(as_text=True)
    assert "imported author" in html


def test_own_profile_shows_suspension(app, client, auth):
    with app.app_context():
        make_user("amina", suspended_until=utcnow() + timedelta(days=2), suspended_reason="Spam")
    auth.login()
    html = client.get("/u/amina").get_data(as_text=True)
    assert "suspended until" in html and "Reason: Spam." in html


def _settings(client, csrf_token, **fields):
    data = {"display_name": "", "country": "", "organisation": "", "expertise": "", "bio": "",
            "csrf_token": csrf_token(client, "/settings/profile"), **fields}
    return client.post("/settings/profile", data=data)


def test_settings_require_login(client):
    response = client.get("/settings/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_edit_own_profile_only(world, client, auth, csrf_token):
    auth.login("bob")
    response = _settings(client, csrf_token, display_name="Bob Builder", country="Kenya",
                         bio="Hello <b>there</b>")
    assert response.status_code == 302 and response.headers["Location"] == "/u/bob"
    html = client.get("/u/bob").get_data(as_text=True)
    assert "Bob Builder" in html and "Hello &lt;b&gt;there&lt;/b&gt;" in html
    with world.app_context():
        amina = db.session.scalar(select(User).where(User.username == "amina"))
        assert amina.display_name == "Amina Diallo"  # nobody else's profile changed


def test_settings_form_is_prefilled(world, client, auth):
    auth.login("amina")
    html = client.get("/settings/profile").get_data(as_text=True)
    assert 'value="UNDP Dakar"' in html and 'autocomplete="organization"' in html


@pytest.mark.parametrize("field, limit", [
    ("display_name", 100), ("country", 100), ("organisation", 150), ("expertise", 300),
    ("bio", 2000),
])
def test_limits_rerender_with_text_intact(world, client, auth, csrf_token, field, limit):
    auth.login("bob")
    too_long = "word " * (limit // 5) + "extra"
    response = _settings(client, csrf_token, **{field: too_long, "country": "Kenya"}
                         if field != "country" else {field: too_long})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Use at most {limit:,} characters." in html
    assert too_long.strip() in html  # the text comes back as typed
    with world.app_context():
        bob = db.session.scalar(select(User).where(User.username == "bob"))
        assert getattr(bob, field) == ""


def test_suspended_member_cannot_edit_profile(app, client, auth, csrf_token):
    with app.app_context():
        make_user("amina", suspended_until=utcnow() + timedelta(days=2))
    auth.login()
    html = _settings(client, csrf_token, bio="Buy cheap pills").get_data(as_text=True)
    assert "suspended" in html and "Buy cheap pills" in html
    with app.app_context():
        assert db.session.scalar(select(User.bio)) == ""


def test_saved_threads_lists_only_what_the_user_may_still_see(app, client, auth):
    with app.app_context():
        amina, bob = make_user("amina"), make_user("bob")
        team = make_group("team", [bob])
        public = make_category("Procurement")
        secret = make_category("Team room", "group", team)
        for title, category, kw in (("Visible saved thread", public, {}),
                                    ("Hidden saved thread", public, {"hidden": True}),
                                    ("Deleted saved thread", public, {"deleted": True}),
                                    ("Group saved thread", secret, {})):
            make_bookmark(amina, make_thread(bob, category, title, **kw))
        make_thread(bob, public, "Not saved at all")
        make_bookmark(bob, make_thread(bob, public, "Saved by bob only"))
    auth.login("amina")
    html = client.get("/saved").get_data(as_text=True)
    assert "Visible saved thread" in html
    for title in ("Hidden saved", "Deleted saved", "Group saved", "Not saved", "bob only"):
        assert title not in html


def test_saved_threads_empty_and_login_required(app, client, auth):
    assert client.get("/saved").status_code == 302
    with app.app_context():
        make_user("amina")
    auth.login()
    assert "not saved any threads" in client.get("/saved").get_data(as_text=True)
