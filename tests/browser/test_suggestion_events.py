"""Suggestion statistics from a real browser: what the composer sends, and nothing when opted out."""
import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import SuggestionEvent, User
from tests.browser.helpers import GCF_PARAPHRASE, GCF_QUESTION, log_in

pytestmark = pytest.mark.browser

SUGGESTIONS = "#similar-list a.suggestion-title"


def events_of(app, username):
    """(kind, thread_id, rank, new_thread_id) rows recorded for a member, oldest first."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        rows = db.session.execute(select(
            SuggestionEvent.kind, SuggestionEvent.thread_id, SuggestionEvent.rank,
            SuggestionEvent.new_thread_id, SuggestionEvent.session, SuggestionEvent.draft_length)
            .where(SuggestionEvent.user_id == user.id).order_by(SuggestionEvent.id)).all()
        db.session.remove()
    return rows


def wait_for(read, done, seconds=5.0):
    """Re-read until done(value) or the time is up (the events are sent with keepalive)."""
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = read()
    return value


def _type_and_open(page, demo):
    """Type the paraphrase, open the demo thread from the list; return its rank."""
    page.goto("/threads/new")
    page.fill("#title", GCF_PARAPHRASE)
    target = page.locator(SUGGESTIONS, has_text=demo[GCF_QUESTION].title)
    expect(target).to_be_visible(timeout=3000)
    item = page.locator("#similar-list li", has=page.locator(
        "a.suggestion-title", has_text=demo[GCF_QUESTION].title))
    rank = int(item.get_attribute("data-rank"))
    with page.context.expect_page() as opened:
        target.click()
    opened.value.close()
    return rank


def test_shown_opened_none_of_these_and_posted_are_recorded(new_page, live_app, demo):
    page = new_page()
    log_in(page, "priya.raman")
    rank = _type_and_open(page, demo)
    page.click("text=None of these answers my question")
    page.select_option("#category", label="Climate")
    page.fill("#body", "Our first proposal has been waiting since spring.")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/threads/\d+/[^?]*\?new=1$"))
    new_id = int(re.search(r"/threads/(\d+)", page.url).group(1))
    rows = wait_for(lambda: events_of(live_app, "priya.raman"),
                    lambda rows: {"opened", "dismissed", "posted"} <= {r.kind for r in rows})
    kinds = [r.kind for r in rows]
    assert {r.session for r in rows} and len({r.session for r in rows}) == 1  # one composer session
    shown = {(r.thread_id, r.rank) for r in rows if r.kind == "shown"}
    assert (demo[GCF_QUESTION].id, rank) in shown
    assert all(r.draft_length == len(GCF_PARAPHRASE) for r in rows if r.kind == "shown")
    assert [(r.thread_id, r.rank) for r in rows if r.kind == "opened"] == [(demo[GCF_QUESTION].id, rank)]
    assert kinds.count("dismissed") == 1
    assert [r.new_thread_id for r in rows if r.kind == "posted"] == [new_id]


def test_nothing_is_recorded_for_a_member_who_opted_out(new_page, live_app, demo):
    page = new_page()
    log_in(page, "carlos.mendoza")
    page.goto("/settings/profile")
    page.check("#suggestion_opt_out")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/u/carlos\.mendoza$"))
    _type_and_open(page, demo)
    page.click("text=None of these answers my question")
    page.goto("/settings/profile")  # one more round trip: any event would have landed
    expect(page.locator("#suggestion_opt_out")).to_be_checked()
    assert events_of(live_app, "carlos.mendoza") == []
