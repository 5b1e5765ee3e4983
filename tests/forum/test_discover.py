"""Discover, through the test client: the search page, the composer's no-JS check step,
related threads and "others asked this before", with the real model and real FAISS.

Permissions are the point of several tests: restricted, hidden and deleted threads
share words with public ones, so any leak would show up in the page.
"""
import re
from datetime import datetime

import pytest
from markupsafe import Markup

from forum import create_app, indexing
from forum.discover.highlight import excerpt, highlight, query_terms
from forum.extensions import db
from forum.models import Thread
from tests.conftest import AuthActions
from tests.factories import (
    make_category, make_featured, make_group, make_reply, make_thread, make_user,
)


GCF_TITLE = "Realistic timeline from GCF concept note to board approval?"
GCF_EXPERIENCE = "Our Green Climate Fund proposal took 26 months: where the time went"
DROUGHT_TITLE = "Setting drought triggers for anticipatory cash transfers"
POOLED_TITLE = "Steering committee rules for a country-based pooled fund"
LOUNGE_TITLE = "Members only: venting about climate fund approval delays"
KENYA_TITLE = "Kenya team: GCF board approval timeline for the county programme"
HIDDEN_TITLE = "Hidden thread on GCF board approval timelines"
DELETED_TITLE = "Deleted thread on GCF board approval timelines"
RESTRICTED = (LOUNGE_TITLE, KENYA_TITLE, HIDDEN_TITLE, DELETED_TITLE)


def build_world(app) -> None:
    """Public, members-only, group-only, hidden and deleted threads on the same topic."""
    with app.app_context():
        amina, insider = make_user("amina"), make_user("insider")
        mod = make_user("mod", role="moderator")
        team = make_group("kenya-team", [insider])
        climate, pooled = make_category("Climate"), make_category("Pooled funding")
        lounge = make_category("Lounge", visibility="members")
        kenya = make_category("Kenya team", visibility="group", group=team)
        gcf = make_thread(amina, climate, GCF_TITLE, "How many months from the Green Climate "
                          "Fund concept note to board approval? Our ministry expects 12 months.",
                          country="Nigeria", tags=("gcf",), created_at=datetime(2024, 3, 4))
        make_reply(insider, gcf, "It took us 24 months, mostly in review.", accepted=True)
        make_featured(gcf, mod)
        make_thread(insider, climate, GCF_EXPERIENCE, "Concept note to board took two years; "
                    "the funding proposal review was the longest step.", kind="experience",
                    country="Senegal", created_at=datetime(2025, 6, 1))
        make_thread(amina, climate, DROUGHT_TITLE, "Which rainfall and vegetation indicators "
                    "trigger cash before the drought peaks?", country="Kenya",
                    created_at=datetime(2023, 5, 1))
        make_thread(amina, pooled, POOLED_TITLE, "Who chairs, who votes, how often it meets.",
                    created_at=datetime(2022, 1, 1))
        make_thread(amina, lounge, LOUNGE_TITLE, "GCF board approval takes forever.")
        make_thread(insider, kenya, KENYA_TITLE, "GCF concept note to board approval timeline.")
        make_thread(amina, climate, HIDDEN_TITLE, "GCF concept note to board approval.",
                    hidden=True)
        make_thread(amina, climate, DELETED_TITLE, "GCF concept note to board approval.",
                    deleted=True)
        indexing.get_service().engine_ready()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app with the world for the tests that only read (encoding it once saves minutes)."""
    instance = tmp_path_factory.mktemp("discover-instance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORUM_INSTANCE_PATH", str(instance))
        app = create_app({
            "TESTING": True, "SECRET_KEY": "test-discover", "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'forum.sqlite'}",
            "RATELIMIT_ENABLED": False, "SEARCH_ENABLED": True, "SEARCH_SAVE_INTERVAL": 0,
        })
    with app.app_context():
        db.create_all()
    build_world(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fresh_world(app):
    """The same world in the per-test app, for tests that post."""
    build_world(app)
    return app


def member_client(app, username: str):
    """A test client of `app`, logged in through the real form."""
    client = app.test_client()
    response = AuthActions(client).login(username)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def thread_id(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Thread.id).where(Thread.title == title))


def page(client, url, **kwargs) -> str:
    """GET a page that must answer 200; returns its HTML."""
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def result_titles(html: str) -> list[str]:
    """Titles of the search results, in order."""
    return [Markup(t).unescape() for t in
            re.findall(r'<li class="search-result">\s*<h2><a href="[^"]+">([^<]+)</a>', html)]


def section(html: str, marker: str) -> str:
    """The HTML of the element that starts at `marker` (up to its list's end)."""
    start = html.find(marker)
    return "" if start < 0 else html[start:html.find("</ol>", start) + 5]


def titles_in(fragment: str) -> list[str]:
    return [Markup(t).unescape() for t in re.findall(r'class="suggestion-title"[^>]*>([^<]+)',
                                                     fragment)]


# ---------------------------------------------------------------- highlighting
def test_highlight_escapes_before_marking():
    text = 'Fees & "amp" <script>alert(1)</script> for procurement'
    html = str(highlight(text, query_terms("amp script procure")))
    assert "<script>" not in html
    assert "&lt;<mark>script</mark>&gt;" in html
    assert "&amp; &#34;<mark>amp</mark>&#34;" in html  # "amp" never matches inside &amp;
    assert "<mark>procurement</mark>" in html  # a 4+ letter term marks words it starts


def test_highlight_marks_cjk_by_character_and_ignores_junk():
    assert "<mark>中</mark><mark>文</mark>" in str(highlight("中文资料", query_terms("中文 查询")))
    assert str(highlight("a (b) * c", query_terms('"((*AND OR NOT'))) == "a (b) * c"


def test_a_long_query_marks_a_bounded_number_of_terms():
    terms = query_terms(" ".join(f"word{i}" for i in range(500)))
    assert len(terms) == 32 and "word0" in terms


def test_excerpt_starts_near_the_first_match():
    text = "word " * 200 + "the board approval came late " + "tail " * 100
    snippet = excerpt(text, query_terms("approval"), 120)
    assert "approval" in snippet and snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= 122


# ---------------------------------------------------------------- search page
def test_search_finds_by_meaning_with_count_time_and_marked_snippet(world):
    html = page(world.test_client(), "/search?q=How many months until the Green Climate "
                                     "Fund approves a project?")
    titles = result_titles(html)
    assert titles[0] in (GCF_TITLE, GCF_EXPERIENCE) and GCF_TITLE in titles[:2]
    assert re.search(r"<strong>\d+</strong> results?\s*<span class=\"meta\">in [\d.]+ seconds",
                     html)
    assert "<mark>Green</mark> <mark>Climate</mark>" in html
    assert "Featured practice" in html and "Solved" in html
    assert "Keyword search only" not in html


@pytest.mark.parametrize("who", [None, "amina"])
def test_search_never_shows_restricted_hidden_or_deleted_threads(world, who):
    client = member_client(world, who) if who else world.test_client()
    titles = result_titles(page(client, "/search?q=GCF board approval timeline"))
    assert GCF_TITLE in titles
    assert KENYA_TITLE not in titles and HIDDEN_TITLE not in titles
    assert DELETED_TITLE not in titles
    assert (LOUNGE_TITLE in titles) == (who == "amina")  # members see the lounge


def test_group_member_finds_the_group_thread(world):
    client = member_client(world, "insider")
    assert KENYA_TITLE in result_titles(page(client, "/search?q=GCF board approval timeline"))


@pytest.mark.parametrize("filters, expected", [
    ("category=pooled-funding", {POOLED_TITLE}),
    ("tag=gcf", {GCF_TITLE}),
    ("country=senegal", {GCF_EXPERIENCE}),
    ("kind=experience", {GCF_EXPERIENCE}),
    ("status=solved", {GCF_TITLE}),
    ("featured=1", {GCF_TITLE}),
    ("since=2025-01-01", {GCF_EXPERIENCE}),
    ("until=2022-12-31", {POOLED_TITLE}),
    ("since=2023-01-01&until=2023-12-31&kind=question", {DROUGHT_TITLE}),
])
def test_each_filter_narrows_the_results(world, filters, expected):
    html = page(world.test_client(), f"/search?q=climate fund pooled drought&{filters}")
    assert set(result_titles(html)) == expected
    assert "<details class=\"search-filters\" open>" in html


def test_filters_without_a_query_list_matching_threads_newest_first(world):
    html = page(world.test_client(), "/search?category=climate")
    assert result_titles(html) == [GCF_EXPERIENCE, GCF_TITLE, DROUGHT_TITLE]


def test_unanswered_status(world):
    titles = result_titles(page(world.test_client(), "/search?q=climate fund&status=unanswered"))
    assert GCF_TITLE not in titles and GCF_EXPERIENCE in titles


def test_sort_by_newest(world):
    html = page(world.test_client(), "/search?q=GCF board approval timeline&sort=newest")
    titles = result_titles(html)
    assert titles.index(GCF_EXPERIENCE) < titles.index(GCF_TITLE)
    assert '<strong aria-current="true">Newest</strong>' in html
    assert "Very close" not in html and "Loosely related" not in html  # no closeness by date


def test_pagination_walks_every_result_once(world, monkeypatch):
    monkeypatch.setitem(world.config, "SEARCH_PER_PAGE", 2)
    client = world.test_client()
    first = page(client, "/search?q=climate fund approval&category=climate")
    assert "Page 1 of 2" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = page(client, "/search?q=climate fund approval&category=climate&page=2")
    assert "Page 2 of 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    seen = result_titles(first) + result_titles(second)
    assert sorted(seen) == sorted({GCF_TITLE, GCF_EXPERIENCE, DROUGHT_TITLE})
    assert '<ol class="search-results" start="3">' in second
    beyond = page(client, "/search?q=climate fund approval&category=climate&page=9")
    assert "Back to the first page" in beyond


def test_empty_state_suggests_next_steps(world):
    client = member_client(world, "amina")
    html = page(client, "/search?q=zzyzx qwxv&category=pooled-funding")
    assert "No threads match" in html
    assert "Search again without the filters" in html
    assert 'href="/c/climate"' in html  # browse categories
    assert "/threads/new?title=zzyzx" in html  # ask the community, question carried over


def test_search_page_without_a_query_introduces_search(client):
    html = page(client, "/search")
    assert "Find what other teams already learned" in html
    assert "No threads match" not in html


NASTY = ['"', "AND OR NOT", "*", "((", "😀", "中文 查询", "<script>alert(1)</script>",
         "x" * 2000, "   ", "a\x00b", "%00", "' OR 1=1 --", "\u202e\u200b", "title:foo -bar",
         "a" * 50 + " " + "日本語の質問" * 30]


@pytest.mark.parametrize("q", NASTY)
def test_nasty_queries_give_results_or_an_empty_state(world, q):
    html = page(world.test_client(), "/search", query_string={"q": q})
    assert '<li class="search-result">' in html or "No threads match" in html \
        or "Find what other teams already learned" in html
    assert "<script>alert(1)</script>" not in html


def test_an_overlong_query_is_shortened_with_a_note(world):
    html = page(world.test_client(), "/search", query_string={"q": "GCF " * 600})
    assert "shortened to its first 1,000 characters" in html


@pytest.mark.parametrize("args, message", [
    ("since=yesterday", "Since must be a date like"),
    ("until=2024-13-45", "Until must be a date like"),
    ("status=maybe", "Status must be one of"),
    ("kind=rant", "Kind must be one of"),
    ("featured=perhaps", "Featured must be true or false"),
    ("category=no-such-place", "Unknown category"),
    ("tag=" + "t" * 80, "Tag is too long"),
    ("page=-3&sort=sideways", None),
])
def test_bad_filters_are_dropped_with_a_friendly_message(world, args, message):
    html = page(world.test_client(), f"/search?q=GCF board approval&{args}")
    if message:
        assert message in html and 'class="notice" role="alert"' in html
    assert GCF_TITLE in result_titles(html)  # the search still ran without the bad filter


def test_a_restricted_category_filter_looks_unknown_to_a_guest(world):
    html = page(world.test_client(), "/search?q=GCF&category=kenya-team")
    assert "Unknown category" in html and KENYA_TITLE not in html


def test_a_search_failure_is_a_notice_not_an_error_page(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("index on fire")
    monkeypatch.setattr(indexing, "search_threads", broken)
    html = page(world.test_client(), "/search?q=GCF")
    assert "Search is not available right now" in html


@pytest.mark.app_config(SEARCH_ENABLED=True, SEARCH_MODEL="/nonexistent/model-dir")
def test_keyword_only_notice_when_the_model_cannot_load(app):
    with app.app_context():
        make_thread(make_user("amina"), make_category("Climate"), "Flood sirens for FEW-1",
                    "Early warning code FEW-1.")
    html = page(app.test_client(), "/search?q=FEW-1")
    assert "Keyword search only" in html
    assert result_titles(html) == ["Flood sirens for FEW-1"]



@pytest.mark.app_config(SEARCH_ENABLED=True, SEARCH_MODEL="/nonexistent/model-dir")
def test_composer_and_related_threads_say_keywords_only(app, auth, client, csrf_token):
    with app.app_context():
        amina = make_user("amina")
        climate = make_category("Climate")
        first = make_thread(amina, climate, "Flood sirens for FEW-1", "Early warning FEW-1.").id
        make_thread(amina, climate, "Sirens maintenance FEW-1", "Who repairs FEW-1 sirens?")
    auth.login("amina")
    html = client.post("/threads/new", data={
        "csrf_token": csrf_token(client, "/threads/new"), "title": "FEW-1 sirens",
        "body": "FEW-1", "category": "1", "kind": "question", "check": "1"}).get_data(as_text=True)
    panel = section(html, 'id="similar-panel"')
    assert "Matched by keywords only" in panel and "data-keyword-only hidden" not in panel
    related = client.get(f"/threads/{first}").get_data(as_text=True)
    assert "Matched by keywords only" in related


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
    assert '<script type="module" src="/static/js/composer.js"></script>' in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None  # no inline script
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert 'data-similar-url="/api/v1/similar"' in html
    assert 'data-draft-key="headstart.draft.' in html
    assert 'aria-live="polite"' in html


def test_check_step_survives_a_search_failure(world, csrf_token, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("index on fire")
    monkeypatch.setattr(indexing, "similar_threads", broken)
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
    monkeypatch.setattr(indexing, "similar_threads", broken)
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
    assert '<script type="module" src="/static/js/thread.js"></script>' in html


@pytest.mark.app_config(SEARCH_ENABLED=True, SEARCH_SAVE_INTERVAL=0)
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
@pytest.mark.app_config(SEARCH_ENABLED=True, SEARCH_SAVE_INTERVAL=0)
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
