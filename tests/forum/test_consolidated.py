"""Consolidated replies (issue 10), with the real model and real FAISS: an extractive,
credited draft drawn only from what every reader of the question may see; edited,
published, versioned; moderators' published replies feed the featured library."""
import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import ConsolidatedReply, FeaturedPractice, Post, Thread, User
from tests.factories import make_reply
from tests.forum.community import as_user, is_login_redirect, post
from tests.forum.learning_world import build

SEARCH = pytest.mark.app_config(SEARCH_ENABLED=True, SEARCH_SAVE_INTERVAL=0)
HIDDEN_WORDS = "Our hidden reply says the vehicle dealer paid bribes"
GROUP_WORDS = "The county vehicle pool was run by the governor's cousin"
LOUNGE_WORDS = "Members whisper that the vehicle pool was a scandal"
OFF_TOPIC = ("Unrelated news from our office this week. The new canteen on the second floor "
             "serves lunch at noon. Our football team lost the derby again on Saturday. The "
             "printer on level three is finally repaired after two months.")
FINAL = ("## In short\nUse the global vehicle agreement, and agree customs early.\n\n"
         "> “It saved us nine percent on unit prices.” — [carla](/threads/{q}#post-{a})\n")


@pytest.fixture
def world(app):
    found = build(app)
    with app.app_context():
        def get(tid):
            return db.session.get(Thread, tid)
        carla = db.session.scalar(select(User).where(User.username == "carla"))
        insider = db.session.scalar(select(User).where(User.username == "insider"))
        make_reply(carla, get(found.question), HIDDEN_WORDS + " for the vehicles.", hidden=True)
        make_reply(insider, get(found.question), OFF_TOPIC)
        make_reply(insider, get(found.secret), GROUP_WORDS + " and vehicles were pooled.")
        make_reply(carla, get(found.lounge), LOUNGE_WORDS + " of vehicle procurement.")
        make_reply(carla, get(found.experience), "Pooling vehicle orders across agencies cut "
                   "the unit price and the shipping costs.")
    return found


def reply_of(app, thread_id):
    with app.app_context():
        reply = db.session.scalar(select(ConsolidatedReply).where(
            ConsolidatedReply.thread_id == thread_id))
        return None if reply is None else (reply.body, reply.published_at is not None,
                                           [(r.published, r.note) for r in reply.revisions])


@SEARCH
def test_the_asker_drafts_an_extractive_credited_reply_from_what_all_readers_may_see(
        app, client, auth, world):
    as_user(client, auth, "bob")
    assert "Draft it" in client.get(f"/threads/{world.question}/consolidated").get_data(as_text=True)
    response = post(client, f"/threads/{world.question}/consolidated/draft")
    assert response.status_code == 302
    body, published, versions = reply_of(app, world.question)
    assert not published and versions == [(False, "extractive draft")]
    # The question's visible replies, quoted exactly and linked to their posts with credit.
    assert f"“Use the global vehicle long-term agreement.” — [carla](/threads/{world.question}#post-{world.accepted})" in body
    # The similar public experience, with its outcome.
    assert f"(/threads/{world.experience})" in body and "Worked in Kenya, 2023–2024" in body
    # Every quote is a sentence of a post it links to: nothing is invented.
    with app.app_context():
        for sentence, link in re.findall(r"> “(.+?)” — \[[^\]]+\]\(([^)]+)\)", body):
            thread_id, _, anchor = link.removeprefix("/threads/").partition("#")
            if anchor.startswith("post-"):
                post_body = db.session.get(Post, int(anchor[5:])).body
                assert sentence.replace("\\", "") in post_body.replace("*", "")
    for words in (HIDDEN_WORDS, GROUP_WORDS, LOUNGE_WORDS, "Internal: pooled",
                  "Candid notes"):
        assert words not in body
    # Chatter in the replies is never picked, however different from the rest it is.
    for words in ("canteen", "football", "printer", "Unrelated news"):
        assert words not in body
    assert "maximal marginal relevance" in body
    # Drafts are private to the asker and moderators.
    editor = client.get(f"/threads/{world.question}/consolidated").get_data(as_text=True)
    assert "Publish" in editor and "global vehicle long-term agreement.” —" in editor
    as_user(client, auth, "dan")
    assert "agreement.” —" not in client.get(f"/threads/{world.question}").get_data(as_text=True)
    assert client.get(f"/threads/{world.question}/consolidated/history").status_code == 404


@SEARCH
def test_a_moderator_sees_everything_but_the_draft_still_quotes_only_public_threads(
        app, client, auth, world):
    as_user(client, auth, "helen")
    post(client, f"/threads/{world.question}/consolidated/draft")
    body = reply_of(app, world.question)[0]
    for words in (HIDDEN_WORDS, GROUP_WORDS, LOUNGE_WORDS):
        assert words not in body


@SEARCH
def test_a_members_only_question_may_quote_members_threads_but_not_a_group(app, client, auth,
                                                                          world):
    with app.app_context():
        bob = db.session.scalar(select(User).where(User.username == "bob"))
        question = db.session.get(Thread, world.question)
        question.category_id = db.session.get(Thread, world.lounge).category_id
        db.session.commit()
    as_user(client, auth, "helen")
    post(client, f"/threads/{world.question}/consolidated/draft")
    body = reply_of(app, world.question)[0]
    assert LOUNGE_WORDS in body and GROUP_WORDS not in body


@SEARCH
def test_edit_publish_and_history_then_the_library(app, client, auth, world):
    as_user(client, auth, "helen")
    post(client, f"/threads/{world.question}/consolidated/draft")
    final = FINAL.format(q=world.question, a=world.accepted)
    response = post(client, f"/threads/{world.question}/consolidated",
                    {"body": final, "note": "synthesis", "publish": "Publish"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#consolidated")
    body, published, versions = reply_of(app, world.question)
    assert published and body == final.strip()
    assert versions == [(False, "extractive draft"), (True, "synthesis")]
    with app.app_context():
        practice = db.session.scalar(select(FeaturedPractice).where(
            FeaturedPractice.thread_id == world.question))
        assert practice is not None and practice.summary == final.strip()
    as_user(client, auth, "dan")
    page = client.get(f"/threads/{world.question}").get_data(as_text=True)
    assert "Consolidated reply" in page and "Use the global vehicle agreement" in page
    history = client.get(f"/threads/{world.question}/consolidated/history").get_data(as_text=True)
    assert "published versions only" in history and "extractive draft" not in history
    assert "How do we pool procurement" in client.get("/featured").get_data(as_text=True)
    # A draft saved after publishing stays with the editors until it is published.
    as_user(client, auth, "helen")
    post(client, f"/threads/{world.question}/consolidated", {"body": final + "\nDRAFT LINE", "save": "Save draft"})
    as_user(client, auth, "dan")
    assert "DRAFT LINE" not in client.get(f"/threads/{world.question}").get_data(as_text=True)
    as_user(client, auth, "helen")
    assert "an unpublished draft is waiting" in client.get(f"/threads/{world.question}").get_data(as_text=True)
    post(client, f"/threads/{world.question}/consolidated", {"body": final + "\nDRAFT LINE", "publish": "Publish"})
    as_user(client, auth, "dan")
    assert "DRAFT LINE" in client.get(f"/threads/{world.question}").get_data(as_text=True)


@SEARCH
def test_the_asker_publishes_without_feeding_the_library(app, client, auth, world):
    as_user(client, auth, "bob")
    post(client, f"/threads/{world.question}/consolidated/draft")
    final = FINAL.format(q=world.question, a=world.accepted)
    response = post(client, f"/threads/{world.question}/consolidated",
                    {"body": final, "publish": "Publish"})
    assert response.status_code == 302 and reply_of(app, world.question)[1]
    with app.app_context():
        assert db.session.scalar(select(FeaturedPractice)) is None
    post(client, f"/threads/{world.question}/consolidated/unpublish")
    assert not reply_of(app, world.question)[1]
    assert "In short</h2>" not in client.get(f"/threads/{world.question}").get_data(as_text=True)


def test_others_cannot_work_on_it(app, client, auth, world):
    url = f"/threads/{world.question}/consolidated"
    assert is_login_redirect(post(client, url + "/draft"))
    for name in ("dan", "carla", "sam"):
        as_user(client, auth, name)
        assert client.get(url).status_code == 403
        assert post(client, url + "/draft").status_code == 403
        assert post(client, url, {"body": "x" * 50, "publish": "Publish"}).status_code == 403
    as_user(client, auth, "amina")  # an experience has no consolidated reply
    assert client.get(f"/threads/{world.experience}/consolidated").status_code == 403
    assert reply_of(app, world.question) is None


def test_bad_input_re_renders_with_the_text_intact(app, client, auth, world):
    as_user(client, auth, "bob")
    post(client, f"/threads/{world.question}/consolidated/draft")  # no model: first sentences
    draft = reply_of(app, world.question)[0]
    assert "the meaning model is unavailable" in draft
    response = post(client, f"/threads/{world.question}/consolidated",
                    {"body": "Too short, but mine.", "publish": "Publish"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "must be 40 to 20,000 characters" in html
    assert "Too short, but mine." in html
    assert reply_of(app, world.question)[0] == draft


def test_nothing_to_draft_from_is_a_clear_message(app, client, auth, world):
    with app.app_context():
        for p in db.session.scalars(select(Post).where(Post.thread_id == world.question,
                                                       Post.is_opening.is_(False))):
            p.is_hidden = True
        db.session.commit()
    as_user(client, auth, "bob")
    response = post(client, f"/threads/{world.question}/consolidated/draft")
    assert "There is nothing to draft from yet" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert reply_of(app, world.question) is None
