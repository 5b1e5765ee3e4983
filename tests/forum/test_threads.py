"""Threads through HTTP: listings, visibility, composing, replying, editing with history,
soft delete and restore, limits, CSRF, and the Atom feeds."""
import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, PostRevision, Thread
from tests.factories import make_category, make_group, make_reply, make_thread, make_user


@pytest.fixture
def forum(app):
    """A member, a group member, a moderator, and one thread in each kind of category."""
    with app.app_context():
        amina = make_user("amina")
        insider = make_user("insider")
        make_user("helen", role="moderator")
        make_user("omar")
        team = make_group("kenya-team", [insider])
        public = make_category("Pooled funding")
        lounge = make_category("Lounge", visibility="members")
        kenya = make_category("Kenya team", visibility="group", group=team)
        ids = {
            "public": make_thread(amina, public, "Public pooled fund question", tags=["mptf"],
                                  country="Senegal").id,
            "members": make_thread(amina, lounge, "Members lounge candid question").id,
            "group": make_thread(insider, kenya, "Kenya team internal question").id,
        }
    return ids


def login(auth, name):
    response = auth.login(name)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


VISIBLE = {
    None: {"public"},
    "amina": {"public", "members"},
    "insider": {"public", "members", "group"},
    "helen": {"public", "members", "group"},
}
TITLES = {"public": "Public pooled fund question", "members": "Members lounge candid question",
          "group": "Kenya team internal question"}


@pytest.mark.parametrize("who", [None, "amina", "insider", "helen"])
def test_visibility_on_every_page(client, auth, forum, who):
    if who:
        login(auth, who)
    home = client.get("/").get_data(as_text=True)
    for kind, thread_id in forum.items():
        page = client.get(f"/threads/{thread_id}")
        feed = client.get("/feed.atom").get_data(as_text=True)
        if kind in VISIBLE[who]:
            assert TITLES[kind] in home
            assert page.status_code == 200
            assert TITLES[kind] in feed
        else:
            assert TITLES[kind] not in home
            assert page.status_code == 404  # a restricted thread looks like a missing one
            assert TITLES[kind] not in feed


def test_restricted_category_page(client, auth, forum):
    assert client.get("/c/kenya-team").status_code == 404
    login(auth, "amina")
    assert client.get("/c/kenya-team").status_code == 404  # like a missing one (issue 12)
    assert client.get("/c/lounge").status_code == 200
    assert client.get("/c/kenya-team/feed.atom").status_code == 404


def test_filters_and_pagination(app, client, forum):
    with app.app_context():
        amina = db.session.scalar(select(Thread)).author
        public = db.session.get(Thread, forum["public"]).category
        for i in range(25):
            make_thread(amina, public, f"Experience number {i:02d} about funds", kind="experience")
    page1 = client.get("/?kind=experience").get_data(as_text=True)
    assert "Experience number 24" in page1 and "Public pooled fund question" not in page1
    assert "Page 1 of 2" in page1
    page2 = client.get("/?kind=experience&page=2").get_data(as_text=True)
    assert "Experience number 00" in page2
    assert "Public pooled fund question" in client.get("/?tag=mptf").get_data(as_text=True)
    assert "Public pooled fund question" in client.get("/?country=senegal").get_data(as_text=True)
    unanswered = client.get("/?status=unanswered&kind=question").get_data(as_text=True)
    assert "Public pooled fund question" in unanswered
    assert client.get("/?status=bogus&kind=bogus&page=-3").status_code == 200


def test_new_thread_needs_login(client, forum):
    response = client.get("/threads/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _new_thread_form(client, csrf_token, **fields):
    data = {"csrf_token": csrf_token(client, "/threads/new"), "title": "How do we pool funds?",
            "body": "Our UNCT wants a **joint fund**.", "category": "1", "kind": "question",
            "country": "Senegal", "tags": "pooled-funds, MPTF", "submit": "Post thread"}
    data.update(fields)
    return client.post("/threads/new", data=data)


def test_create_thread(app, client, auth, csrf_token, forum):
    login(auth, "amina")
    response = _new_thread_form(client, csrf_token)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "How do we pool funds?" in page and "<strong>joint fund</strong>" in page
    with app.app_context():
        thread = db.session.scalar(select(Thread).where(Thread.title == "How do we pool funds?"))
        assert thread.tag_names == ["mptf", "pooled-funds"] and thread.country == "Senegal"


@pytest.mark.parametrize("fields, message", [
    ({"title": "Short"}, "Title must be 8 to 200 characters."),
    ({"title": "x" * 201}, "Title must be 8 to 200 characters."),
    ({"body": ""}, "Write a few words."),
    ({"body": "y" * 50_001}, "Post must be 1 to 50,000 characters."),
    ({"category": "0"}, "Pick a category."),
])
def test_rejected_thread_keeps_the_text(client, auth, csrf_token, forum, fields, message):
    login(auth, "amina")
    draft = {"title": "A perfectly fine title", "body": "My long careful draft text."}
    draft.update(fields)
    response = _new_thread_form(client, csrf_token, **draft)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    kept = draft["body"] if fields.get("body") is None else draft["title"]
    assert kept[:50] in html


def test_cannot_post_into_a_category_you_cannot_see(client, auth, csrf_token, forum):
    login(auth, "amina")
    response = _new_thread_form(client, csrf_token, category="3")  # Kenya team
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_csrf_is_required(client, auth, forum):
    login(auth, "amina")
    response = client.post("/threads/new", data={"title": "No token thread", "body": "x",
                                                 "category": "1", "kind": "question"})
    assert response.status_code == 400
    response = client.post(f"/threads/{forum['public']}/reply", data={"body": "no token"})
    assert response.status_code == 400


def test_reply_and_empty_reply(app, client, auth, csrf_token, forum):
    login(auth, "omar")
    url = f"/threads/{forum['public']}"
    response = client.post(f"{url}/reply", data={"body": "We used a pass-through MPTF.",
                                                 "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    assert "We used a pass-through MPTF." in client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/reply", data={"body": "   ",
                                                 "csrf_token": csrf_token(client, url)})
    assert response.status_code == 400 and "Write a few words." in response.get_data(as_text=True)


def test_closed_thread_refuses_replies(app, client, auth, csrf_token, forum):
    with app.app_context():
        db.session.get(Thread, forum["public"]).status = "closed"
        db.session.commit()
    login(auth, "omar")
    url = f"/threads/{forum['public']}"
    assert "closed to new replies" in client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/reply", data={"body": "Sneaky",
                                                 "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 400


def _edit(client, csrf_token, post_id, **data):
    url = f"/posts/{post_id}/edit"
    page = client.get(url)
    if page.status_code != 200:
        return page
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def test_edit_keeps_history(app, client, auth, csrf_token, forum):
    with app.app_context():
        post_id = db.session.get(Thread, forum["public"]).opening_post.id
    login(auth, "amina")
    response = _edit(client, csrf_token, post_id, title="Public pooled fund question v2",
                     body="Revised body", tags="mptf")
    assert response.status_code == 302
    history = client.get(f"/posts/{post_id}/history").get_data(as_text=True)
    assert "Revised body" in history and "We are starting one next year." in history
    assert "Public pooled fund question" in history  # the old title is kept too
    with app.app_context():
        assert db.session.scalar(select(PostRevision).where(PostRevision.post_id == post_id))


def test_only_the_author_or_a_moderator_edits(app, client, auth, csrf_token, forum):
    with app.app_context():
        post_id = db.session.get(Thread, forum["public"]).opening_post.id
    login(auth, "omar")
    assert _edit(client, csrf_token, post_id, body="Vandalism").status_code == 403
    auth.logout()
    login(auth, "helen")
    assert _edit(client, csrf_token, post_id, body="Moderator fix",
                 title="Public pooled fund question").status_code == 302


def test_edit_limits_keep_the_text(app, client, auth, csrf_token, forum):
    with app.app_context():
        post_id = db.session.get(Thread, forum["public"]).opening_post.id
    login(auth, "amina")
    response = _edit(client, csrf_token, post_id, title="Tiny", body="Keep this careful text")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Title must be 8 to 200" in html
    assert "Keep this careful text" in html


def test_soft_delete_and_restore(app, client, auth, csrf_token, forum):
    with app.app_context():
        thread = db.session.get(Thread, forum["public"])
        reply_id = make_reply(db.session.get(type(thread.author), thread.author_id), thread,
                              "A reply that will be deleted").id
    url = f"/threads/{forum['public']}"
    login(auth, "amina")
    response = client.post(f"/posts/{reply_id}/delete", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "A reply that will be deleted" not in html and "This post was deleted." in html
    # Members cannot restore.
    response = client.post(f"/posts/{reply_id}/restore", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 403
    auth.logout()
    login(auth, "helen")
    assert "A reply that will be deleted" in client.get(url).get_data(as_text=True)
    response = client.post(f"/posts/{reply_id}/restore", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Post, reply_id).deleted_at is None


def test_deleting_the_opening_post_deletes_the_thread(app, client, auth, csrf_token, forum):
    with app.app_context():
        post_id = db.session.get(Thread, forum["public"]).opening_post.id
    url = f"/threads/{forum['public']}"
    login(auth, "amina")
    client.post(f"/posts/{post_id}/delete", data={"csrf_token": csrf_token(client, url)})
    assert client.get(url).status_code == 404
    assert "Public pooled fund question" not in client.get("/").get_data(as_text=True)
    auth.logout()
    login(auth, "helen")
    assert client.get(url).status_code == 200  # moderators can still open it to restore


def test_other_members_cannot_delete(app, client, auth, csrf_token, forum):
    with app.app_context():
        post_id = db.session.get(Thread, forum["public"]).opening_post.id
    login(auth, "omar")
    response = client.post(f"/posts/{post_id}/delete", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403


def test_hidden_post_stays_out_of_the_feed_and_page(app, client, forum):
    with app.app_context():
        thread = db.session.get(Thread, forum["public"])
        thread.opening_post.is_hidden = True
        db.session.commit()
    assert "We are starting one next year." not in client.get("/feed.atom").get_data(as_text=True)
    page = client.get(f"/threads/{forum['public']}").get_data(as_text=True)
    assert "We are starting one next year." not in page


def test_markdown_is_sanitised_on_the_page(app, client, forum):
    with app.app_context():
        thread = db.session.get(Thread, forum["public"])
        make_reply(thread.author, thread, '<script>alert(1)</script> [x](javascript:alert(1)) '
                   '<img src=x onerror=alert(1)>')
    html = client.get(f"/threads/{forum['public']}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and 'href="javascript:' not in html
    assert "<img src=x onerror" not in html  # raw HTML is shown as text, never parsed


def test_strict_content_security_policy(client, forum):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
