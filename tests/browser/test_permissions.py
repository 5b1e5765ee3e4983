"""A guest never sees a members-only or group-only thread: suggestions, related, search."""
import pytest
from flask_login import AnonymousUserMixin
from playwright.sync_api import expect

from forum.extensions import db
from forum.searching import similar_threads
from tests.browser.helpers import demo_threads, log_in, restricted

pytestmark = pytest.mark.browser

FETCH_SIMILAR = """async (title) => {
  const response = await fetch('/api/v1/similar', {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify({title, limit: 10})});
  return (await response.json()).results.map(r => r.title);
}"""


@pytest.fixture(scope="module")
def secret_titles(live_app):
    """Titles of the demo's members-only and group-only threads."""
    found = restricted(demo_threads(live_app))
    assert len(found) >= 4, "the demo should have members-only and group-only threads"
    return [t.title for t in found]


@pytest.fixture(scope="module")
def neighbour_pages(live_app, secret_titles):
    """For each restricted thread, the public thread closest to it (as a guest finds it)."""
    guest, pages = AnonymousUserMixin(), set()
    with live_app.test_request_context():
        for title in secret_titles:
            hits = similar_threads(guest, title, limit=1)
            pages.update(f"/threads/{h.thread.id}" for h in hits)
        db.session.remove()
    return sorted(pages)


def test_guest_search_never_shows_restricted_threads(page, secret_titles):
    for title in secret_titles:
        page.goto(f"/search?q={title}")
        shown = page.locator(".search-result h2 a").all_inner_texts()
        assert shown, f"an exact-title search should find public neighbours of {title!r}"
        assert not set(shown) & set(secret_titles)


def test_guest_related_threads_never_show_restricted_threads(page, new_page, neighbour_pages,
                                                             secret_titles):
    for path in neighbour_pages:
        page.goto(path)
        related = page.locator(".related a.suggestion-title").all_inner_texts()
        assert not set(related) & set(secret_titles), path
    # The same pages do list restricted threads for someone allowed to read them,
    # so the check above can fail.
    moderator = new_page()
    log_in(moderator, "helen.park", "moderator-demo-2026")
    seen = set()
    for path in neighbour_pages:
        moderator.goto(path)
        seen.update(moderator.locator(".related a.suggestion-title").all_inner_texts())
    assert seen & set(secret_titles)


def test_guest_suggestions_never_show_restricted_threads(page, secret_titles):
    page.goto("/")
    for title in secret_titles:
        shown = page.evaluate(FETCH_SIMILAR, title)
        assert shown and not set(shown) & set(secret_titles)


def test_member_composer_never_suggests_another_groups_threads(new_page, live_app):
    page = new_page()
    log_in(page, "amina.diallo")  # a member, not in the Kenya country team
    kenya = [t.title for t in restricted(demo_threads(live_app))
             if t.category == "Kenya country team"]
    page.goto("/threads/new")
    for title in kenya:
        page.fill("#title", "")  # too short to suggest: the status empties
        page.fill("#title", title)
        expect(page.locator("[data-similar-status]")).to_contain_text("found")
        shown = page.locator("#similar-list a.suggestion-title").all_inner_texts()
        assert not any(secret in text for secret in kenya for text in shown)
