"""Helpers of the browser tests: signing in, and what they need to know about the demo."""
from dataclasses import dataclass

from sqlalchemy import select

from forum.demo import MEMBER_PASSWORD
from forum.extensions import db
from forum.models import Category, Thread

RESTRICTED_CATEGORIES = ("Members' lounge", "Kenya country team")
# demo-c-004 and its paraphrase family (019, 036, 054) in threads-c.jsonl.
GCF_QUESTION = "demo-c-004"
GCF_FAMILY = ("demo-c-004", "demo-c-019", "demo-c-036", "demo-c-054")
GCF_PARAPHRASE = "How many months does it take to get a Green Climate Fund project approved?"
DROUGHT_QUESTION = "demo-c-003"  # drought triggers for anticipatory cash (+012, 030, 045)


@dataclass(frozen=True)
class DemoThread:
    id: int
    title: str
    category: str
    path: str  # /threads/<id>


def demo_threads(app) -> dict[str, DemoThread]:
    """Every demo thread by external id."""
    with app.app_context():
        rows = db.session.execute(select(Thread.external_id, Thread.id, Thread.title,
                                         Category.name).join(Thread.category)).all()
        db.session.remove()
    return {ext: DemoThread(tid, title, cat, f"/threads/{tid}") for ext, tid, title, cat in rows
            if ext}


def restricted(threads: dict[str, DemoThread]) -> list[DemoThread]:
    """Demo threads in the members-only and group-only categories."""
    return [t for t in threads.values() if t.category in RESTRICTED_CATEGORIES]


def log_in(page, username: str, password: str = MEMBER_PASSWORD) -> None:
    """Sign in through the real login form."""
    page.goto("/login")
    page.fill("#login", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(lambda url: "/login" not in url)
