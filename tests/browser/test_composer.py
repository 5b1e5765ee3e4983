"""The composer in a real browser: live suggestions, keyboard, draft, phone width, offline."""
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    GCF_FAMILY, GCF_PARAPHRASE, GCF_QUESTION, log_in,
)

pytestmark = pytest.mark.browser

SUGGESTIONS = "#similar-list a.suggestion-title"


def composer(new_page, username="amina.diallo", **context_options):
    """A member's page on the composer."""
    page = new_page(**context_options)
    log_in(page, username)
    page.goto("/threads/new")
    return page


def test_paraphrase_shows_the_demo_thread_within_two_seconds(new_page, demo):
    page = composer(new_page)
    title = page.locator("#title")
    title.press_sequentially("Green Climate Fund", delay=10)
    page.wait_for_timeout(400)  # a first request goes out; the next keystrokes supersede it
    title.press_sequentially(GCF_PARAPHRASE[len("Green Climate Fund"):], delay=5)
    typed = time.monotonic()
    target = page.locator(SUGGESTIONS, has_text=demo[GCF_QUESTION].title)
    expect(target).to_be_visible(timeout=2000)
    assert time.monotonic() - typed < 2.0
    expect(page.locator("[data-similar-status]")).to_have_text(
        re.compile(r"^[1-5] similar threads? found\.$"))
    shown = page.locator(SUGGESTIONS).all_inner_texts()
    assert 1 <= len(shown) <= 5
    assert sum(any(demo[ext].title in text for text in shown) for ext in GCF_FAMILY) >= 2
    assert target.get_attribute("target") == "_blank"
    assert target.get_attribute("rel") == "noopener"
    assert page.locator("#similar-list .closeness").first.inner_text() in (
        "Very close", "Close", "Related", "Loosely related")


def test_keyboard_reaches_the_suggestion_and_comes_back(new_page, demo):
    page = composer(new_page)
    page.fill("#title", GCF_PARAPHRASE)
    wanted = demo[GCF_QUESTION].title
    expect(page.locator(SUGGESTIONS, has_text=wanted)).to_be_visible(timeout=2000)
    page.press("#title", "Alt+ArrowDown")

    def focused() -> str:
        return page.evaluate("document.activeElement.textContent")

    for _ in range(5):
        if wanted in focused():
            break
        page.keyboard.press("ArrowDown")
    assert wanted in focused()
    page.keyboard.press("Escape")
    expect(page.locator("#title")).to_be_focused()
    page.keyboard.press("Tab")  # plain Tab order reaches the suggestions too
    for _ in range(12):
        if wanted in focused():
            break
        page.keyboard.press("Tab")
    assert wanted in focused()


def test_draft_survives_a_reload_and_is_cleared_once_posted(new_page):
    page = composer(new_page)
    page.fill("#title", "Sharing one generator contract between four agencies")
    page.select_option("#category", label="Procurement")
    page.check("input[name=kind][value=experience]")
    page.fill("#body", "We split one maintenance contract four ways; here is how we did it.")
    page.fill("#country", "Moldova")
    page.fill("#tags", "common-services, generators")
    page.reload()
    expect(page.locator(".draft-note")).to_contain_text("Your unsent draft is back")
    expect(page.locator("#title")).to_have_value(
        "Sharing one generator contract between four agencies")
    expect(page.locator("#body")).to_have_value(
        "We split one maintenance contract four ways; here is how we did it.")
    expect(page.locator("#category option:checked")).to_have_text("Procurement")
    expect(page.locator("input[name=kind][value=experience]")).to_be_checked()
    expect(page.locator("#country")).to_have_value("Moldova")
    expect(page.locator("#tags")).to_have_value("common-services, generators")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/threads/\d+/[^?]*\?new=1$"))
    page.goto("/threads/new")
    expect(page.locator("#title")).to_have_value("")
    expect(page.locator(".draft-note")).to_have_count(0)


def test_none_of_these_hides_the_suggestions_for_this_draft(new_page, demo):
    page = composer(new_page)
    page.fill("#title", GCF_PARAPHRASE)
    expect(page.locator(SUGGESTIONS).first).to_be_visible(timeout=2000)
    page.click("text=None of these answers my question")
    expect(page.locator("#similar-panel")).to_be_hidden()
    expect(page.locator("#dismissed_similar")).to_have_value("1")
    page.fill("#body", "Still writing: nothing should pop up again.")
    page.wait_for_timeout(600)
    expect(page.locator("#similar-panel")).to_be_hidden()
    page.reload()
    expect(page.locator("#similar-panel")).to_be_hidden()  # the choice is part of the draft
    page.click("text=Show similar threads again")
    expect(page.locator(SUGGESTIONS).first).to_be_visible(timeout=2000)


def test_phone_width_is_usable(new_page, demo):
    page = composer(new_page, viewport={"width": 375, "height": 740}, has_touch=True)
    page.fill("#title", GCF_PARAPHRASE)
    target = page.locator(SUGGESTIONS, has_text=demo[GCF_QUESTION].title)
    expect(target).to_be_visible(timeout=2000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = page.locator("#similar-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375


def test_offline_is_quiet(new_page):
    page = composer(new_page)
    page.wait_for_load_state("networkidle")  # the favicon must not be what goes offline
    page.context.set_offline(True)
    page.fill("#title", GCF_PARAPHRASE)
    expect(page.locator("[data-similar-status]")).to_contain_text("offline", timeout=2000)
    page.context.set_offline(False)


def test_script_modules_load_once_each_by_their_digested_urls(new_page, demo):
    """The import map sends a module's plain imports ("./draft.js") to the digested URLs that
    browsers keep for a year; no module is fetched by its plain URL (a revalidation each
    visit), and the policy lets the map run (a refused map would be a console error)."""
    page = new_page()
    fetched = []
    page.on("request", lambda r: "/static/js/" in r.url and fetched.append(r.url))
    log_in(page, "amina.diallo")
    page.goto(demo[GCF_QUESTION].path)  # thread.js imports similar.js and draft.js
    page.goto("/threads/new")  # composer.js imports draft.js and suggestion_events.js
    expect(page.locator("#title")).to_be_visible()
    page.wait_for_load_state("networkidle")
    names = {re.sub(r"\?.*", "", url.rsplit("/", 1)[1]) for url in fetched}
    assert {"thread.js", "similar.js", "draft.js", "composer.js",
            "suggestion_events.js"} <= names, fetched
    assert all(re.search(r"\.js\?v=[0-9a-f]{12}$", url) for url in fetched), fetched
