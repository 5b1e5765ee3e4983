"""Every change that the index depends on reaches it, and nothing else is queued.

Real SQLite and PostgreSQL, the real bundled model (loaded once per process), real
FAISS and Tantivy; search_app indexes in the committing request (SEARCH_WORKER=inline).
"""
import numpy as np
import pytest
from sqlalchemy import func, select

from forum import searching
from forum.admin_services import set_category_visibility
from forum.answers.services import accept_answer
from forum.extensions import db
from forum.models import Category, SearchQueue, Tag, ThreadEmbedding
from forum.moderation.services import hide_post, move_thread, set_tags
from forum.threads import services
from search.text import MAX_REPLIES, replies_text, text_digest
from tests.factories import make_category, make_group, make_reply, make_thread, make_user
from tests.forum.search_fixtures import GUEST, make_app


def titles(user, text, limit=5, mode="lexical"):
    """Titles found for a code word; lexical mode, since dense retrieval always returns
    the nearest threads, however far (hybrid is checked separately)."""
    return [h.thread.title for h in searching.similar_threads(user, text, "", limit=limit,
                                                              mode=mode)]


def queued() -> int:
    return db.session.scalar(select(func.count(SearchQueue.id)))


def replies_digest(thread_id: int):
    return db.session.scalar(select(ThreadEmbedding.text_digest).where(
        ThreadEmbedding.thread_id == thread_id, ThreadEmbedding.field == "replies"))


@pytest.fixture
def world(search_app):
    """A member, a group member, a moderator, a public and a group category; index started."""
    member, insider = make_user("member1"), make_user("insider")
    moderator = make_user("mod", role="moderator")
    group = make_group("kenya-team", [insider])
    public = make_category("Pooled funding")
    private = make_category("Kenya team", visibility="group", group=group)
    search_app.extensions["searching"].settle()
    return member, insider, moderator, public, private


def test_created_thread_is_found_by_a_paraphrase(world):
    member, _, _, public, _ = world
    services.create_thread(member, public, "How do we split overhead costs between agencies "
                           "in a joint programme?", "Each agency wants its own 7% rate.")
    services.create_thread(member, public, "Best way to store project photos",
                           "We have thousands of field photos on laptops.")
    assert titles(GUEST, "Who pays the indirect support costs when several UN agencies "
                  "run one programme together?", mode="hybrid")[0].startswith("How do we split")


def test_body_only_and_title_edits_reach_the_index(world):
    member, _, _, public, _ = world
    thread = services.create_thread(member, public, "Procurement plan for vehicles",
                                    "Ask about XYLOPHONE77 please.")
    assert titles(GUEST, "XYLOPHONE77") == ["Procurement plan for vehicles"]
    services.edit_post(member, thread.opening_post, "Now about QUOKKA55 instead.")
    assert titles(GUEST, "QUOKKA55") == ["Procurement plan for vehicles"]
    assert titles(GUEST, "XYLOPHONE77") == []
    services.edit_post(member, thread.opening_post, "Now about QUOKKA55 instead.",
                       title="Procurement plan for motorbikes")
    assert titles(GUEST, "motorbikes") == ["Procurement plan for motorbikes"]


def test_a_reply_edit_reaches_the_replies_vector(world, search_app):
    member, _, _, public, _ = world
    thread = services.create_thread(member, public, "Fuel for field vehicles", "Who pays fuel?")
    reply = services.reply(member, thread, "We pooled fuel through one agency's contract.")
    before = replies_digest(thread.id)
    assert before == text_digest(replies_text(["We pooled fuel through one agency's contract."]))
    services.edit_post(member, reply, "Each agency bought its own fuel cards.")
    assert replies_digest(thread.id) == text_digest(
        replies_text(["Each agency bought its own fuel cards."]))
    view = search_app.extensions["searching"].view
    stored = {f: np.frombuffer(v, np.float32) for f, v in db.session.execute(select(
        ThreadEmbedding.field, ThreadEmbedding.vector).where(ThreadEmbedding.thread_id == thread.id))}
    from search.ranking import thread_vector
    assert np.allclose(view.dense.vectors([thread.id])[0],
                       thread_vector(stored, search_app.extensions["searching"].config), atol=1e-5)


def test_tag_changes_reach_the_index(world):
    member, _, moderator, public, _ = world
    thread = services.create_thread(member, public, "Joint warehouse", "Sharing storage space.",
                                    tags="logistics")
    assert titles(GUEST, "logistics") == ["Joint warehouse"]
    set_tags(moderator, thread, "warehousing-pilot")
    assert titles(GUEST, "warehousing-pilot") == ["Joint warehouse"]
    assert titles(GUEST, "logistics") == []


def test_renaming_a_tag_or_category_queues_its_threads(world, search_app):
    member, _, _, public, _ = world
    service = search_app.extensions["searching"]
    with service.paused():
        thread = services.create_thread(member, public, "Shared drivers", "Driver pools.",
                                        tags="fleet")
        services.create_thread(member, public, "Other topic", "Unrelated.")
    service.settle()
    with service.paused():
        db.session.scalar(select(Tag).where(Tag.name == "fleet")).name = "vehicle-fleet"
        db.session.commit()
        assert db.session.scalars(select(SearchQueue.thread_id)).all() == [thread.id]
        db.session.get(Category, public.id).name = "Pooled funds and fleets"
        db.session.commit()
        assert queued() == 3  # one for the tag, both threads of the renamed category
    service.settle()
    assert titles(GUEST, "vehicle-fleet") == ["Shared drivers"]


def test_a_new_thread_queues_itself_only(world, search_app):
    member, _, _, public, _ = world
    service = search_app.extensions["searching"]
    with service.paused():
        for n in range(5):
            services.create_thread(member, public, f"Existing thread number {n}", "Body.")
        service.settle()
        services.create_thread(member, public, "One more thread", "Body.")
        # Adding to the category's collection once queued every thread in it.
        assert queued() == 1
        set_category_visibility(db.session.get(Category, public.id), "members")
        assert queued() == 1  # visibility is checked per query, not stored in the index


def test_replies_the_recipe_does_not_read_queue_nothing(world, search_app):
    member, _, moderator, public, _ = world
    service = search_app.extensions["searching"]
    thread = services.create_thread(member, public, "Many answers", "Tell us.")
    for n in range(MAX_REPLIES):
        make_reply(member, thread, f"Answer {n}.")
    service.settle()
    with service.paused():
        late = make_reply(member, thread, "Answer after the window.")
        assert queued() == 0
        services.edit_post(member, late, "Edited after the window.")
        assert queued() == 0
        hide_post(moderator, thread.posts[1], "spam")  # a read reply leaves: the late one moves in
        assert queued() == 1


def test_move_to_a_restricted_category_and_back(world):
    member, insider, moderator, public, private = world
    thread = services.create_thread(member, public, "Donor roundtable minutes template",
                                    "Template code DRT-2025.")
    assert titles(GUEST, "DRT-2025") == ["Donor roundtable minutes template"]
    move_thread(moderator, thread, db.session.get(Category, private.id))
    assert titles(GUEST, "DRT-2025") == []
    assert titles(member, "DRT-2025") == []
    assert titles(insider, "DRT-2025") == ["Donor roundtable minutes template"]
    assert "Donor roundtable minutes template" not in titles(
        GUEST, "Donor roundtable minutes template", mode="hybrid")


def test_hiding_and_deleting_posts(world):
    member, _, moderator, public, _ = world
    thread = services.create_thread(member, public, "Shared premises rent split",
                                    "Rent split code PREM-4411.")
    reply = services.reply(member, thread, "Our answer mentions nothing special.")
    hide_post(moderator, reply, "off topic")
    assert replies_digest(thread.id) is None  # the hidden reply left the thread text
    services.delete_post(member, thread.opening_post)
    assert titles(GUEST, "PREM-4411") == []
    assert titles(moderator, "PREM-4411") == []  # deleted threads leave the index
    services.restore_post(moderator, thread.opening_post)
    assert titles(GUEST, "PREM-4411") == ["Shared premises rent split"]
    thread.is_hidden = True
    db.session.commit()
    assert titles(GUEST, "PREM-4411") == []


def test_accepting_an_answer_reorders_the_replies(world):
    member, _, _, public, _ = world
    thread = services.create_thread(member, public, "Cash transfer values", "What value?")
    services.reply(member, thread, "First reply.")
    answer = services.reply(make_user("other"), thread, "The accepted one.")
    accept_answer(member, answer)
    assert replies_digest(thread.id) == text_digest(replies_text(["The accepted one.",
                                                                  "First reply."]))


def test_rollback_reaches_nothing(world, search_app):
    member, _, _, public, _ = world
    before = queued()
    with pytest.raises(RuntimeError):
        services.create_thread(member, public, "Never committed thread", "ROLLBACK-CODE-1",
                               commit=False)
        db.session.flush()
        assert queued() == before + 1  # queued inside the transaction…
        raise RuntimeError("request failed")
    db.session.rollback()
    assert queued() == before  # …and gone with it
    assert titles(GUEST, "ROLLBACK-CODE-1") == []


def test_bulk_statements_queue_through_enqueue(world):
    member, _, _, public, _ = world
    thread = services.create_thread(member, public, "Fuel procurement pooling",
                                    "Pooling code FUEL-31.")
    db.session.execute(type(thread).__table__.update().where(type(thread).id == thread.id)
                       .values(is_hidden=True))
    searching.enqueue(db.session, [thread.id])
    db.session.commit()
    assert titles(GUEST, "FUEL-31") == []


def test_search_switched_off_is_honoured_everywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, SEARCH_ENABLED=False)
    with app.app_context():
        make_thread(make_user("member1"), make_category("Funding"), "Pooled fund set-up",
                    "Code POOL-9.")
        client = app.test_client()
        api = client.get("/api/v1/search?q=POOL-9").get_json()
        assert api["results"] == [] and api["mode"] == "off"
        similar = client.post("/api/v1/similar", json={"title": "POOL-9"}).get_json()
        assert similar == {**similar, "results": [], "mode": "off"}
        page = client.get("/search?q=POOL-9").get_data(as_text=True)
        assert "switched off" in page and "Pooled fund set-up" not in page
        # Without words, the search page and API are plain listings and still work.
        assert client.get("/api/v1/search").get_json()["total"] == 1
        assert not (tmp_path / "search").exists()  # nothing was started
        db.session.remove()
        db.engine.dispose()
