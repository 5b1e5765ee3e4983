"""The demo shows every issue-5 feature on first run, and loading it twice changes nothing."""
import pytest
from sqlalchemy import func, select

from forum.demo import MEMBER_PASSWORD

from forum.extensions import db
from forum.models import (
    AuditLog, Bookmark, FeaturedPractice, FeaturedRevision, Flag, Notification, Thread, Vote,
    Watch,
)
from tests.conftest import CSRF_RE


def snapshot(app) -> dict:
    with app.app_context():
        def n(col, *where):
            return db.session.scalar(select(func.count(col)).where(*where))
        return {
            "votes": n(Vote.id), "bookmarks": n(Bookmark.id), "featured": n(FeaturedPractice.id),
            "revisions": n(FeaturedRevision.id), "open flags": n(Flag.id, Flag.resolved_at.is_(None)),
            "flags": n(Flag.id), "audit": n(AuditLog.id), "notifications": n(Notification.id),
            "watches": n(Watch.id),
            "duplicates": n(Thread.id, Thread.duplicate_of_id.isnot(None), Thread.status == "closed"),
            "site pins": n(Thread.id, Thread.pinned_scope == "site"),
            "category pins": n(Thread.id, Thread.pinned_scope == "category"),
            "solved": n(Thread.id, Thread.status == "solved"),
        }


@pytest.mark.slow
def test_demo_extras_show_everything_and_are_idempotent(app, runner, client):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    first = snapshot(app)
    assert first["featured"] >= 5 and first["revisions"] > first["featured"]
    assert first["votes"] > 100 and first["bookmarks"] > 20 and first["solved"] > 20
    assert first["open flags"] >= 3 and first["duplicates"] >= 1
    assert first["site pins"] == 1 and first["category pins"] == 1
    assert first["watches"] >= 5 and first["notifications"] >= 10
    # Loading again: the importer re-marks accepted threads solved, then the extras run.
    with app.app_context():
        from forum.demo import HERE, extras
        from forum.threads.importer import import_lines
        lines = (HERE / "data" / "threads-a.jsonl").read_text(encoding="utf-8").splitlines()
        assert import_lines(lines).ok
        said = []
        extras.apply(said.append)
        assert said and said[0].startswith("Demo extras")
    assert snapshot(app) == first
    with app.app_context():
        practice = db.session.scalar(select(FeaturedPractice).order_by(FeaturedPractice.id))
        thread_id = practice.thread_id
        # Contributors are credited with links to their posts; no placeholder link is left.
        assert f"/threads/{thread_id}#post-" in practice.summary
        assert "(reply:" not in practice.summary and "(thread:" not in practice.summary
    page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert "Curated summary" in page
    library = client.get("/featured").get_data(as_text=True)
    assert library.count('class="thread-item"') == first["featured"]
    # A demo member has news waiting (issue 11): replies, accepted answers, watched tags.
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": "amina.diallo", "password": MEMBER_PASSWORD,
                                "csrf_token": token})
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "new replies in your thread" in inbox and "accepted your answer" in inbox
    assert "#joint-programmes, which you watch" in inbox
    assert "Senegal" in client.get("/watching").get_data(as_text=True)
    with app.app_context():  # her country watch hears of threads in Senegal
        from forum.notifications.watches import target_watchers
        senegal = db.session.scalars(select(Thread).where(Thread.country == "Senegal")).all()
        amina = db.session.scalar(select(Watch.user_id).where(Watch.kind == "country"))
        assert "country:senegal" in {target_watchers(t).get(amina) for t in senegal}
