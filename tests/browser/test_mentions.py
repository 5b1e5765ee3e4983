"""@mention autocomplete in a real browser, and typing @name without JavaScript."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import Notification, User
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

OPTIONS = "ul.mention-list [role=option]"
QUIET_THREAD = "demo-a-003"  # amina.diallo's own thread, outside the search tests' families
TEAM_THREAD = "demo-a-052"  # jonas.berg's thread in the Kenya country team's category


def mentions_of(app, username: str, thread_id: int) -> int:
    with app.app_context():
        try:
            return len(db.session.scalars(select(Notification.id).join(
                User, User.id == Notification.user_id).where(
                User.username == username, Notification.kind == "mention",
                Notification.thread_id == thread_id)).all())
        finally:
            db.session.remove()


def test_reply_box_completes_a_mention_by_keyboard(new_page, demo, live_app):
    page = new_page()
    log_in(page, "amina.diallo")
    thread = demo[QUIET_THREAD]
    page.goto(thread.path)
    body = page.locator("#body")
    body.press_sequentially("Thanks @hel", delay=20)
    expect(page.locator(OPTIONS).first).to_contain_text("@helen.park")
    # Announced through the status line; a textarea may not carry aria-expanded (axe:
    # aria-allowed-attr), the listbox is tied to it by aria-controls instead.
    expect(page.locator("ul.mention-list + [role=status]")).to_contain_text("found")
    assert body.get_attribute("aria-controls") == "body-mentions"
    assert body.get_attribute("aria-expanded") is None
    body.press("Enter")
    expect(body).to_have_value("Thanks @helen.park ")
    expect(page.locator("ul.mention-list")).to_be_hidden()
    body.press_sequentially("for the summary.", delay=5)
    before = mentions_of(live_app, "helen.park", thread.id)
    page.click("text=Post reply")
    expect(page.locator(".flash-success")).to_contain_text("Your reply is posted")
    assert mentions_of(live_app, "helen.park", thread.id) == before + 1


def test_composer_offers_by_display_name_and_escape_closes(new_page, demo):
    page = new_page()
    log_in(page, "amina.diallo")
    page.goto("/threads/new")
    body = page.locator("#body")
    body.press_sequentially("Asking @jon", delay=20)
    option = page.locator(OPTIONS, has_text="@jonas.berg")
    expect(option).to_be_visible()
    body.press("Escape")
    expect(page.locator("ul.mention-list")).to_be_hidden()
    expect(body).to_have_value("Asking @jon")
    body.press_sequentially("a", delay=20)  # typing on opens the list again
    expect(option).to_be_visible()
    option.click()  # a click inserts as well, and the textarea keeps the focus
    expect(body).to_have_value("Asking @jonas.berg ")
    expect(body).to_be_focused()


def test_a_team_thread_offers_only_members_who_may_read_it(new_page, demo):
    page = new_page()
    log_in(page, "jonas.berg")
    page.goto(demo[TEAM_THREAD].path)
    body = page.locator("#body")
    body.press_sequentially("@wan", delay=20)
    expect(page.locator(OPTIONS).first).to_contain_text("@wanjiru.kamau")
    body.fill("")
    body.press_sequentially("@amina", delay=20)
    page.wait_for_timeout(600)  # the lookup has answered: nobody outside the team
    expect(page.locator(OPTIONS)).to_have_count(0)


def test_without_javascript_typing_the_name_still_mentions(new_page, demo, live_app):
    page = new_page(java_script_enabled=False)
    log_in(page, "amina.diallo")
    thread = demo[QUIET_THREAD]
    page.goto(thread.path)
    before = mentions_of(live_app, "jonas.berg", thread.id)
    page.fill("#body", "Over to @jonas.berg for the Kenya view.")
    page.click("text=Post reply")
    expect(page.locator(".flash-success")).to_contain_text("Your reply is posted")
    assert mentions_of(live_app, "jonas.berg", thread.id) == before + 1
