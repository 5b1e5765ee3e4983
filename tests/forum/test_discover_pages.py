"""Discover through the test client: the composer's no-JS check step, related threads,
"others asked this before", and the same on PostgreSQL."""
import re

import pytest

from forum import searching
from forum.extensions import db
from forum.models import Thread
from tests.factories import make_category, make_thread, make_user
from tests.forum.discover_world import (
    DELETED_TITLE, GCF_EXPERIENCE, GCF_TITLE, HIDDEN_TITLE, KENYA_TITLE, LOUNGE_TITLE,
    RESTRICTED, build_world, member_client, page, result_titles, section, thread_id, titles_in,
)



# ---------------------------------------------------------------- composer
def test_check_step_shows_suggestions_without_javascript(world, csrf_token):
    client = member_client(world, "amina")
    token = csrf_token(client, "/threads/new")
    html = client.post("/threads/new", data={
        "csrf_token": token, "title": "How long until the Green Climate Fund board approves?",
        "body": "Our ministry hopes for twelve months from concept note.", "category": "1",
        "kind": "question", "check": "Check for similar threads"}).get_data(as_text=True)
    panel = section(html, 'id="similar-panel"')
    assert GCF_TITLE in titles_in(panel)
    assert not set(RESTRICTED[1:]) & set(titles_in(panel))
    assert 'target="_blank" rel="noopener"' in panel
    assert "similar threads found." in panel or "similar thread found." in panel
    assert "None of these answers your question?" in html
    assert 'value="How long until the Green Climate Fund board approves?"' in html  # kept
    with world.app_context():
        assert db.session.scalar(db.select(db.func.count(Thread.id))) == 8  # nothing posted


def test_composer_loads_its_script_without_inline_code(app, auth, client):
    with app.app_context():
        make_user("amina")
    auth.login("amina")
    response = client.get("/threads/new")
    html = response.get_data(as_text=True)
    assert re.search(r'<script type="module" src="/static/js/composer.js\?v=[0-9a-f]{12}"></script>', html)
    # No inline script but the import map (data, allowed by its hash: test_assets).
    assert re.search(r'<script(?![^>]*\b(?:src=|type="importmap"))[^>]*>', html) is None
    assert html.count('<script type="importmap">') == 1
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert 'data-similar-url="/api/v1/similar"' in html
    assert 'data-draft-key="headstart.draft.' in html
    assert 'aria-live="polite"' in html


def test_check_step_survives_a_search_failure(world, csrf_token, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("index on fire")
    monkeypatch.setattr(searching, "similar_threads", broken)
    client = member_client(world, "amina")
    response = client.post("/threads/new", data={
        "csrf_token": csrf_token(client, "/threads/new"), "title": "Green Climate Fund timing",
        "body": "How long?", "category": "1", "kind": "question", "check": "1"})
    assert response.status_code == 200
    assert 'value="Green Climate Fund timing"' in response.get_data(as_text=True)


# ---------------------------------------------------------------- thread page
@pytest.mark.parametrize("who", [None, "amina", "insider"])
def test_related_threads_are_permission_aware(world, who):
    client = member_client(world, who) if who else world.test_client()
    html = page(client, f"/threads/{thread_id(world, GCF_TITLE)}")
    related = titles_in(section(html, 'class="related"'))
    assert GCF_EXPERIENCE in related and GCF_TITLE not in related and len(related) <= 5
    assert HIDDEN_TITLE not in related and DELETED_TITLE not in related
    assert (KENYA_TITLE in related) == (who == "insider")
    assert (LOUNGE_TITLE in related) == (who is not None)


def test_related_threads_mark_featured_practices(world):
    html = page(world.test_client(), f"/threads/{thread_id(world, GCF_EXPERIENCE)}")
    related = section(html, 'class="related"')
    assert GCF_TITLE in titles_in(related) and "Featured practice" in related


def test_a_search_failure_leaves_the_thread_page_intact(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("index on fire")
    monkeypatch.setattr(searching, "similar_threads", broken)
    monkeypatch.setattr(searching, "related_threads", broken)  # related threads' own seam
    html = page(world.test_client(), f"/threads/{thread_id(world, GCF_TITLE)}")
    assert GCF_TITLE in html and 'class="related"' not in html


def test_thread_page_without_search_has_no_related_section(app, client):
    with app.app_context():
        thread = make_thread(make_user("amina"), make_category("Climate"))
        url = f"/threads/{thread.id}"
    assert 'class="related"' not in page(client, url)


def test_reply_box_has_related_threads_one_click_away(world):
    client = member_client(world, "amina")
    html = page(client, f"/threads/{thread_id(world, GCF_TITLE)}")
    box = section(html, "<details class=\"reply-related\"")
    assert "Asking something new?" in box and GCF_EXPERIENCE in titles_in(box)
    assert f'data-thread-id="{thread_id(world, GCF_TITLE)}"' in box
    assert re.search(r'<script type="module" src="/static/js/thread.js\?v=[0-9a-f]{12}"></script>', html)


@pytest.mark.app_config(SEARCH_ENABLED=True)
def test_others_asked_this_before_right_after_posting(fresh_world, auth, client, csrf_token):
    auth.login("amina")
    response = client.post("/threads/new", data={
        "csrf_token": csrf_token(client, "/threads/new"),
        "title": "How many months does a Green Climate Fund approval take?",
        "body": "Our minister expects the money next year.", "category": "1", "kind": "question",
        "submit": "Post thread"})
    assert response.status_code == 302 and "new=1" in response.location
    html = page(client, response.location)
    earlier = section(html, 'class="panel asked-before"')
    assert "Others asked this before" in earlier and GCF_TITLE in titles_in(earlier)
    assert "How many months does a Green Climate Fund approval take?" not in titles_in(earlier)
    assert 'data-clear-draft="headstart.draft.' in html
    assert 'class="related"' not in html  # the same list is not shown twice
    other = fresh_world.test_client()
    assert "Others asked this before" not in page(other, response.location)  # author only
    assert 'class="related"' in page(other, response.location)


# ---------------------------------------------------------------- PostgreSQL
@pytest.mark.postgres
@pytest.mark.app_config(SEARCH_ENABLED=True)
@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_search_filters_and_related_threads_on_postgresql(app):
    build_world(app)
    client = app.test_client()
    # NUL bytes are errors in PostgreSQL strings; LIKE wildcards must stay literal.
    for q in ("a\x00b", "中文 查询", "' OR 1=1 --", "%_\\"):
        page(client, "/search", query_string={"q": q, "tag": "gcf\x00", "country": "x\x00"})
    html = page(client, "/search?q=GCF board approval&country=NIGERIA&tag=gcf")
    assert result_titles(html) == [GCF_TITLE]
    html = page(client, f"/threads/{thread_id(app, GCF_TITLE)}")
    assert GCF_EXPERIENCE in titles_in(section(html, 'class="related"'))
