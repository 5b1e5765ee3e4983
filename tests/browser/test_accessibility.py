"""Every kind of page passes axe-core's accessibility rules (WCAG 2.x A/AA and best
practices) as each role sees it: guests, members, moderators and administrators.

axe-core is the engine browsers' own audit tools use; `axe-playwright-python` ships it.
"""
import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from forum.demo import DEMO_PASSWORDS, MEMBER_PASSWORD
from forum.extensions import db
from forum.models import Thread, User
from tests.browser.helpers import GCF_QUESTION, log_in

pytestmark = pytest.mark.browser

PAGES = {
    "guest": ["/", "{thread}", "/search?q=pooled+fund", "/search?q=zzzz+qqqq", "/featured",
              "/members", "/countries", "/countries/Kenya", "/login", "/register", "/reset"],
    "amina.diallo": ["/threads/new", "{thread}", "/notifications", "/u/amina.diallo",
                     "/settings/profile", "/settings/notifications", "/settings/security",
                     "/settings/tokens", "/watching", "/saved", "/followups",
                     "{thread}/adapt", "{experience}/experience"],
    "helen.park": ["/moderation", "/moderation/log", "/moderation/suggestions",
                   "/moderation/threads/{id}", "{thread}/feature"],
    "admin": ["/admin/", "/admin/users", "/admin/categories", "/admin/groups"],
}


def own_experience(app, username) -> int:
    """The id of an experience thread this member shared (its details form is theirs)."""
    with app.app_context():
        thread_id = db.session.scalar(select(Thread.id).join(Thread.author).where(
            Thread.kind == "experience", User.username == username).limit(1))
        db.session.remove()
    assert thread_id, f"the demo has no experience shared by {username}"
    return thread_id


@pytest.fixture(scope="module")
def axe():
    return Axe()


@pytest.mark.parametrize("who", list(PAGES))
def test_pages_pass_axe(new_page, live_app, demo, axe, who):
    page = new_page()
    if who != "guest":
        log_in(page, who, DEMO_PASSWORDS.get(who, MEMBER_PASSWORD))
    thread = demo[GCF_QUESTION]
    experience = own_experience(live_app, "amina.diallo")
    found = []
    for path in PAGES[who]:
        url = path.format(thread=thread.path, id=thread.id, experience=f"/threads/{experience}")
        response = page.goto(url)
        assert response.ok, f"{url}: {response.status}"
        for violation in axe.run(page).response["violations"]:
            found.append(f"{url}: {violation['id']} ({violation['impact']}) "
                         + "; ".join(n["html"][:120] for n in violation["nodes"][:3]))
    assert found == []
