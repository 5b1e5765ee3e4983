"""Issue 9 through the service: above SEARCH_LARGE_BASE the keeper writes an IVF-SQfp16 base that
a restarted process maps, verification accepts its quantised vectors, and changes fold in."""
import json

from forum import searching
from forum.extensions import db
from forum.searching.verify import verify
from forum.threads import services
from tests.factories import make_category, make_thread, make_user
from tests.forum.search_fixtures import GUEST, make_app

TOPICS = ["pooled fund governance", "school meal programme", "water point maintenance",
          "cash transfer targeting", "clinic staff rota", "seed distribution timing"]


def titles(text, mode="hybrid"):
    return [h.thread.title for h in searching.similar_threads(GUEST, text, "", limit=3, mode=mode)]


def base_manifest(tmp_path) -> dict:
    return json.loads((tmp_path / "search" / "base.json").read_text())


def test_a_large_base_is_quantised_mapped_verified_and_folded(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, SEARCH_LARGE_BASE=40)
    with app.app_context():
        service = app.extensions["searching"]
        member, public = make_user("member1"), make_category("Programmes")
        with service.paused():
            for n in range(60):
                make_thread(member, public, f"{TOPICS[n % len(TOPICS)]} question {n}",
                            f"Notes on {TOPICS[n % len(TOPICS)]}, case {n}.")
        service.settle()
        service.publish_base()
        assert base_manifest(tmp_path)["kind"] == "ivf-sq"
        service.stop()
        db.session.remove()
        db.engine.dispose()
    restarted = make_app(tmp_path, SEARCH_LARGE_BASE=40)
    with restarted.app_context():
        service = restarted.extensions["searching"]
        assert titles("How do we maintain a water point?")[0].startswith("water point maintenance")
        assert service.loaded_from_disk
        assert verify(service).ids == set()  # approximations are not "stale"
        thread = make_thread(make_user("member2"), make_category("Other"), "Beekeeping cooperative",
                             "Hives and honey prices.")
        services.edit_post(thread.opening_post.author, thread.opening_post, "Hives, wax and honey prices.")
        service.publish_base()  # folds the delta into a new quantised base
        assert base_manifest(tmp_path)["kind"] == "ivf-sq" and base_manifest(tmp_path)["count"] == 61
        assert titles("honey from our hives")[0] == "Beekeeping cooperative"
        assert verify(service).ids == set()
        service.stop()
        db.session.remove()
        db.engine.dispose()
