"""Issue 10 in a real browser: outcomes beside live suggestions (static/js/similar.js), the
one-click "did it work?" answer, the consolidated reply and the evidence on a thread."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

FUEL_EXPERIENCE = "demo-a-005"  # worked, Moldova 2024–2027; adapted in Jordan, Ethiopia, Zimbabwe
FUEL_DRAFT = "A joint long-term agreement for fuel cards with five agencies"


def test_live_suggestions_show_the_outcome_and_the_adaptations(new_page, demo):
    page = new_page()
    log_in(page, "amina.diallo")
    page.goto("/threads/new")
    page.fill("#title", FUEL_DRAFT)
    item = page.locator("#similar-list li.suggestion",
                        has=page.locator("a.suggestion-title", has_text=demo[FUEL_EXPERIENCE].title))
    expect(item).to_be_visible(timeout=4000)
    line = item.locator(".evidence-line")
    expect(line.locator(".evidence-outcome.outcome-worked")).to_have_text("Worked in Moldova, 2024–2027")
    expect(line.locator(".evidence-adapted")).to_have_text(
        "Adapted in 3 countries — worked 1, partly 1, too early 1")


def test_a_member_answers_did_it_work_in_one_click(new_page, demo):
    page = new_page()
    log_in(page, "tendai.moyo")  # asked about the fuel LTA Zimbabwe adapted 90 days ago
    link = page.locator(".user-nav a", has_text="Did it work?")
    expect(link).to_contain_text("1")
    link.click()
    item = page.locator("li.followup", has_text=demo[FUEL_EXPERIENCE].title)
    item.get_by_role("button", name="Worked", exact=True).click()
    expect(page.locator(".flash-success")).to_have_text("Thank you: the outcome is recorded.")
    expect(page.locator(".empty")).to_contain_text("Nothing to answer right now")
    expect(page.locator(".user-nav a", has_text="Did it work?")).to_have_count(0)
    page.goto(demo[FUEL_EXPERIENCE].path)
    expect(page.locator(".evidence-summary")).to_have_text(
        "Adapted in 3 countries — worked 2, partly 1")


def test_a_guest_reads_the_consolidated_reply_and_follows_its_quotes(page, demo):
    page.goto(demo["demo-b-015"].path)
    reply = page.locator("#consolidated")
    expect(reply).to_contain_text("What the community said")
    quote = reply.locator("blockquote a", has_text="Carlos Mendoza").first
    href = quote.get_attribute("href")
    assert re.fullmatch(rf"/threads/{demo['demo-b-015'].id}#post-\d+", href)
    quote.click()
    expect(page.locator(href[href.index("#"):])).to_be_in_viewport()
