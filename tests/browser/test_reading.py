"""Reading and searching in a real browser: related threads, the reply box, the search page."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    DROUGHT_QUESTION, GCF_FAMILY, GCF_QUESTION, log_in,
)

pytestmark = pytest.mark.browser


def test_related_threads_on_a_thread_page(page, demo):
    thread = demo[GCF_QUESTION]
    page.goto(thread.path)
    related = page.locator(".related a.suggestion-title")
    expect(related.first).to_be_visible()
    titles = related.all_inner_texts()
    assert 1 <= len(titles) <= 5
    assert thread.title not in titles
    assert any(demo[ext].title in titles for ext in GCF_FAMILY[1:])
    expect(page.locator(".related .closeness").first).to_be_visible()


def test_reply_box_finds_threads_like_the_reply(new_page, demo):
    page = new_page()
    log_in(page, "amina.diallo")
    page.goto(demo[DROUGHT_QUESTION].path)
    page.fill("#body", "Different question: how long did your Green Climate Fund approval take?")
    page.click("details.reply-related summary")
    page.click("text=Find threads like my reply")
    expect(page.locator("[data-reply-related-status]")).to_contain_text("like your reply found")
    family = [demo[ext].title for ext in GCF_FAMILY]
    shown = page.locator("[data-reply-related-list] a.suggestion-title").all_inner_texts()
    assert any(title in text for title in family for text in shown)
    link = page.locator("[data-reply-search-link]")
    assert "q=Different+question" in link.get_attribute("href")
    link.click()
    page.wait_for_url(re.compile(r"/search\?q="))
    expect(page.locator(".search-result").first).to_be_visible()


def test_search_page_with_a_filter(page, demo):
    page.goto("/search")
    page.fill("#search-q", "which indicators should trigger early cash before a drought")
    page.click("details.search-filters summary")
    page.select_option("#s-category", label="Climate")
    page.click("text=Apply filters")
    page.wait_for_url(re.compile(r"/search\?.*category=climate"))
    expect(page.locator(".result-count")).to_contain_text("result")
    expect(page.locator(".result-count")).to_contain_text("seconds")
    results = page.locator(".search-result")
    assert results.count() >= 1
    for meta in page.locator(".search-result .meta > a:first-child").all_inner_texts():
        assert meta == "Climate"
    assert demo[DROUGHT_QUESTION].title in page.locator(".search-result h2 a").all_inner_texts()
    expect(page.locator(".search-result mark").first).to_be_visible()
    page.click("text=Newest")
    page.wait_for_url(re.compile(r"sort=newest"))
    assert "category=climate" in page.url


@pytest.mark.parametrize("path", ["/threads/new", "/settings/tokens", "/settings/notifications",
                                  "/watching"])
def test_each_choice_sits_beside_its_button_on_a_phone(new_page, path):
    """Radio lists read as one line per choice on a 375-pixel screen, not a bold label below
    each button (the field's label style applied to every choice)."""
    page = new_page(viewport={"width": 375, "height": 800})
    log_in(page, "amina.diallo")
    page.goto(path)
    radios = page.locator("form input[type=radio]")
    assert radios.count() >= 2
    for i in range(radios.count()):
        radio = radios.nth(i)
        box = radio.bounding_box()
        label = page.locator(f"label[for='{radio.get_attribute('id')}']")
        first_line = label.evaluate("l => { const r = document.createRange();"
                                    " r.selectNodeContents(l); return r.getClientRects()[0].top; }")
        assert box["y"] - 12 <= first_line <= box["y"] + box["height"], (path, i)
        assert label.evaluate("l => getComputedStyle(l).fontWeight") in ("400", "normal")


def test_a_phone_shows_threads_and_every_header_link_on_the_first_screen(new_page):
    """On a 375 x 800 screen a moderator (the longest header) sees every header link, unread
    badges included, and the first threads without scrolling: the thread filters stay folded
    until asked for, and open by themselves while a filter is active."""
    page = new_page(viewport={"width": 375, "height": 800})
    log_in(page, "helen.park", "moderator-demo-2026")
    page.goto("/")
    for link in page.locator(".user-nav a, .user-nav button").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, link.inner_text()
    assert page.locator(".site-header").bounding_box()["height"] <= 200
    first_thread = page.locator("main ul.thread-list > li a").first
    expect(first_thread).to_be_in_viewport()
    assert first_thread.bounding_box()["y"] + 20 < 800
    expect(page.locator("#f-kind")).to_be_hidden()
    page.click("details.thread-filters summary")
    page.select_option("#f-kind", "question")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"kind=question"))
    expect(page.locator("#f-kind")).to_be_visible()
    expect(page.locator("details.thread-filters summary")).to_contain_text("1 active")
