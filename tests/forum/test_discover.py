"""Discover through the test client: highlighting and the search page, with the real
model and real FAISS; restricted, hidden and deleted threads must never show."""
import re

import pytest

from forum import searching
from forum.discover.highlight import excerpt, highlight, query_terms
from tests.factories import make_category, make_thread, make_user
from tests.forum.discover_world import (
    DELETED_TITLE, DROUGHT_TITLE, GCF_EXPERIENCE, GCF_TITLE, HIDDEN_TITLE, KENYA_TITLE,
    LOUNGE_TITLE, POOLED_TITLE, member_client, page, result_titles, section,
)



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
    assert "<details class=\"filter-toggle search-filters\" open>" in html


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
    monkeypatch.setattr(searching, "search_threads", broken)
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
