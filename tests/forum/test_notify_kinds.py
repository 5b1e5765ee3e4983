"""Each notification kind, from the receiving side and from the forbidden side (issue 11)."""
import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Notification, Post, Thread
from tests.forum.community import as_user, post
from tests.forum.notify_world import (  # noqa: F401 - fixtures
    BACKENDS, PUBLIC_TITLE, SECRET_TITLE, inbox, kinds_for, new_thread, reply, user_id, watch,
    world,
)


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_reply_reaches_the_asker_not_the_replier(app, client, auth, world):
    as_user(client, auth, "bob")
    reply(client, world.public, "We used a steering committee.")
    assert kinds_for(app, "amina") == ["reply"]
    assert kinds_for(app, "bob") == []
    as_user(client, auth, "amina")
    page = inbox(client)
    assert "Bob Otieno replied to your thread" in page and PUBLIC_TITLE in page
    assert f"/threads/{world.public}/" in page


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_a_group_thread_never_reaches_a_non_member_by_any_kind(app, client, auth, world):
    # dan, outside the team, watches everything he can name: the tag, the country, the thread.
    as_user(client, auth, "dan")
    watch(client, "tag", "pooled-funds")
    watch(client, "country", "Kenya")
    assert watch(client, "thread", world.secret).status_code == 403
    assert watch(client, "category", world.team_category).status_code == 403
    as_user(client, auth, "carla")
    watch(client, "tag", "pooled-funds")
    as_user(client, auth, "amina")
    new_thread(client, world.team_category, "Second team budget question",
               "Hello @dan and @carla, see `@bob` in code.", country="Kenya",
               tags="pooled-funds")
    reply(client, world.secret, "Thanks @dan @bob.")
    as_user(client, auth, "carla")
    reply(client, world.secret, "Figures attached, @dan.")
    with app.app_context():
        answer = db.session.scalar(select(Post.id).where(Post.thread_id == world.secret,
                                                         Post.author_id == user_id(app, "carla")))
    as_user(client, auth, "amina")
    post(client, f"/posts/{answer}/accept")
    assert kinds_for(app, "dan") == [] and kinds_for(app, "bob") == []
    # Team members hear of it, once per event, by the most personal kind (a mention
    # rather than the watched tag).
    assert kinds_for(app, "carla") == ["mention", "accepted"]
    assert kinds_for(app, "amina") == ["reply"]
    as_user(client, auth, "dan")
    assert "budget" not in inbox(client)


def test_reply_and_quote_tell_the_replied_to_author(app, client, auth, world):
    as_user(client, auth, "bob")
    reply(client, world.public, "Committee with rotating chairs.")
    with app.app_context():
        bobs = db.session.scalar(select(Post.id).where(Post.author_id == user_id(app, "bob")))
    as_user(client, auth, "dan")
    page = client.get(f"/threads/{world.public}?reply_to={bobs}&quote=1").get_data(as_text=True)
    assert "Replying to" in page and "&gt; Committee with rotating chairs." in page
    assert f'name="reply_to" type="hidden" value="{bobs}"' in page
    reply(client, world.public, "How often did the chair rotate?", reply_to=str(bobs))
    assert kinds_for(app, "bob") == ["reply_to_post"]
    assert kinds_for(app, "amina") == ["reply", "reply"]
    with app.app_context():
        newest = db.session.scalar(select(Post).order_by(Post.id.desc()))
        assert newest.reply_to_id == bobs
    page = client.get(f"/threads/{world.public}").get_data(as_text=True)
    assert "In reply to" in page and f"#post-{bobs}" in page
    # A reply_to naming a post of another thread answers nothing.
    with app.app_context():
        secret_opening = db.session.scalar(select(Post.id).where(Post.thread_id == world.secret))
    reply(client, world.public, "Unrelated.", reply_to=str(secret_opening))
    assert kinds_for(app, "amina").count("reply") == 3
    with app.app_context():
        assert db.session.scalar(select(Post).order_by(Post.id.desc())).reply_to_id is None


@pytest.mark.parametrize("app", BACKENDS, indirect=True)
def test_out_of_range_ids_are_no_row_not_an_error(app, client, auth, world):
    huge = "9" * 20  # PostgreSQL refuses such a number outright in an integer comparison
    as_user(client, auth, "dan")
    assert client.get(f"/threads/{world.public}?reply_to={huge}&quote=1").status_code == 200
    assert watch(client, "thread", huge).status_code == 403
    assert watch(client, "category", huge).status_code == 403
    assert client.get(f"/mentions?q=a&thread={huge}").status_code == 200
    reply(client, world.public, "Still fine.", reply_to=huge)
    assert kinds_for(app, "amina") == ["reply"]


@pytest.mark.app_config(POSTS_PER_PAGE=2)
def test_reply_links_keep_the_page(app, client, auth, world):
    as_user(client, auth, "bob")
    for n in range(3):
        reply(client, world.public, f"Reply {n}.")
    page = client.get(f"/threads/{world.public}?page=2")
    assert page.status_code == 200
    assert re.search(r'reply_to=\d+&amp;page=2#reply-title', page.get_data(as_text=True))


def test_mentions_outside_code_notify_once_and_edits_add_only_new_names(app, client, auth, world):
    as_user(client, auth, "bob")
    body = "Ask @Dan.\n\n```\n@carla in a code block\n```\nand `@helen` inline; mail x@amina.org"
    reply(client, world.public, body)
    assert kinds_for(app, "dan") == ["mention"]
    assert kinds_for(app, "carla") == [] and kinds_for(app, "helen") == []
    assert kinds_for(app, "amina") == ["reply"]  # the asker: a reply, not a mention
    with app.app_context():
        mine = db.session.scalar(select(Post.id).order_by(Post.id.desc()))
    post(client, f"/posts/{mine}/edit", {"body": body + "\n\nAlso @dan again and @carla."})
    assert kinds_for(app, "dan") == ["mention"] and kinds_for(app, "carla") == ["mention"]
    as_user(client, auth, "dan")
    assert "Bob Otieno mentioned you in" in inbox(client)


def test_accepting_an_answer_tells_its_author_and_the_watchers(app, client, auth, world):
    as_user(client, auth, "dan")
    watch(client, "thread", world.public)
    as_user(client, auth, "bob")
    reply(client, world.public, "Here is how.")
    with app.app_context():
        answer = db.session.scalar(select(Post.id).where(Post.author_id == user_id(app, "bob")))
    as_user(client, auth, "amina")
    post(client, f"/posts/{answer}/accept")
    post(client, f"/posts/{answer}/accept")  # twice: still one notification
    assert kinds_for(app, "bob") == ["accepted"]
    assert kinds_for(app, "dan") == ["watch_reply", "watch_accepted"]
    assert "accepted" not in kinds_for(app, "amina")
    as_user(client, auth, "bob")
    assert "Amina Diallo accepted your answer in" in inbox(client)


def test_featured_moved_and_duplicate_tell_the_author(app, client, auth, world):
    as_user(client, auth, "helen")
    summary = "## The question\nHow to start a pooled fund, and what the members advised."
    post(client, f"/threads/{world.public}/feature", {"summary": summary})
    post(client, f"/moderation/threads/{world.public}/move", {"move-category": world.team_category})
    assert kinds_for(app, "amina") == ["featured", "moved"]
    as_user(client, auth, "amina")
    page = inbox(client)
    assert "is now a featured practice" in page and "was moved to Kenya team room" in page


def test_a_duplicate_of_a_group_thread_never_shows_its_title(app, client, auth, world):
    """The leak the issue reports: a public thread closed as a duplicate of a group-only one."""
    with app.app_context():
        bob_id = user_id(app, "bob")
    as_user(client, auth, "bob")
    new_thread(client, world.public_category, "Team budget numbers, public copy", "Same thing.")
    with app.app_context():
        dup = db.session.scalar(select(Thread.id).where(Thread.author_id == bob_id))
    as_user(client, auth, "helen")
    post(client, f"/moderation/threads/{dup}/duplicate", {"duplicate-original": str(world.secret)})
    assert kinds_for(app, "bob") == ["duplicate"]
    as_user(client, auth, "bob")
    page = inbox(client)
    assert "was closed as a duplicate of another thread" in page
    assert SECRET_TITLE not in page and f"/threads/{world.secret}" not in page
    with app.app_context():
        stored = db.session.scalar(select(Notification).where(Notification.user_id == bob_id))
        assert SECRET_TITLE not in stored.detail  # nothing frozen in the row either


def test_new_threads_reach_who_watches_their_category_tag_or_country(app, client, auth, world):
    for name, kind, value in (("dan", "category", world.public_category),
                              ("bob", "tag", "Pooled Funds"), ("helen", "country", "kenya")):
        as_user(client, auth, name)
        assert watch(client, kind, value).status_code == 302
    as_user(client, auth, "carla")
    new_thread(client, world.public_category, "Pooled funds in Kenya: who audits?",
               "Looking for auditors.", country="Kenya", tags="pooled-funds")
    assert kinds_for(app, "dan") == kinds_for(app, "bob") == kinds_for(app, "helen") == [
        "watch_thread"]
    assert kinds_for(app, "carla") == []
    as_user(client, auth, "bob")
    assert "Carla Ruiz started" in inbox(client) and "#pooled-funds" in inbox(client)
    as_user(client, auth, "helen")
    assert "about Kenya, which you watch" in inbox(client)


def test_watchers_get_replies_and_an_author_can_mute_their_own_thread(app, client, auth, world):
    as_user(client, auth, "dan")
    watch(client, "thread", world.public)
    as_user(client, auth, "amina")
    watch(client, "thread", world.public, on=False)
    as_user(client, auth, "bob")
    reply(client, world.public, "First reply.")
    assert kinds_for(app, "dan") == ["watch_reply"] and kinds_for(app, "amina") == []
    as_user(client, auth, "amina")
    watch(client, "thread", world.public, on=True)
    as_user(client, auth, "dan")
    watch(client, "thread", world.public, on=False)
    as_user(client, auth, "bob")
    reply(client, world.public, "Second reply.")
    assert kinds_for(app, "amina") == ["reply"] and kinds_for(app, "dan") == ["watch_reply"]


def test_moderation_notices_render_from_the_thread(app, client, auth, world):
    as_user(client, auth, "bob")
    reply(client, world.public, "Buy cheap watches here.")
    with app.app_context():
        spam = db.session.scalar(select(Post.id).where(Post.author_id == user_id(app, "bob")))
    as_user(client, auth, "helen")
    post(client, f"/moderation/posts/{spam}/hide", {"reason": "Advertising"})
    as_user(client, auth, "bob")
    page = inbox(client)
    assert "Your post in" in page and PUBLIC_TITLE in page and "Advertising" in page
