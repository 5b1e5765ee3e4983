"""flask search status | reindex | verify | evaluate, through the real CLI runner."""
import re
from pathlib import Path

import pytest

from forum.extensions import db
from forum.models import ThreadEmbedding
from forum.threads import services
from tests.factories import make_category, make_user

SEMEVAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "eval" / "semeval2016-task3-qq"


@pytest.fixture
def indexed(search_app):
    member = make_user("member1")
    category = make_category("Data")
    for title, body in [("Data sharing agreement template", "Template DSA-77."),
                        ("Census microdata access", "Microdata from the statistics office.")]:
        services.create_thread(member, category, title, body)
    return search_app


def test_status_reports_model_counts_queue_and_freshness(indexed):
    result = indexed.test_cli_runner().invoke(args=["search", "status"])
    assert result.exit_code == 0, result.output
    assert "all-MiniLM-L6-v2@53aa51172d14" in result.output
    assert "indexed threads: 2" in result.output
    assert "queue length: 0" in result.output and "oldest pending: none" in result.output
    with indexed.extensions["searching"].paused():
        services.create_thread(make_user("late"), db.session.get(services.Category, 1),
                               "Queued while paused", "Body.")
    result = indexed.test_cli_runner().invoke(args=["search", "status"])
    assert "queue length: 1" in result.output and "s ago" in result.output


def test_status_warns_when_threads_lack_vectors_from_the_model(indexed):
    """After SEARCH_MODEL changes the stored vectors are another model's and serve nothing:
    status says so (it said "hybrid" and counted them), and a reindex ends it."""
    runner = indexed.test_cli_runner()
    assert "WARNING" not in runner.invoke(args=["search", "status"]).output
    stored = db.session.query(ThreadEmbedding).count()
    db.session.query(ThreadEmbedding).update({"model_id": "an-earlier-model@0123456789ab"})
    db.session.commit()
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0, result.output
    assert ("WARNING: 2 of 2 threads have no vector from all-MiniLM-L6-v2@53aa51172d14"
            in result.output), result.output
    assert "stored embeddings: 0" in result.output
    assert "mode: lexical (rebuilding)" in result.output  # as the servers answer meanwhile
    assert f"other models embeddings: {stored}" in result.output
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    result = runner.invoke(args=["search", "status"])
    assert "WARNING" not in result.output and "threads without vectors: 0" in result.output, result.output
    assert "mode: hybrid" in result.output


def test_after_a_model_change_searches_say_keywords_until_the_vectors_are_rebuilt(indexed, tmp_path):
    """A process started after SEARCH_MODEL changed holds no vector of its model: the API, the
    search page and /healthz said "hybrid" while nothing was matched by meaning. They say
    keywords only (and why) until a reindex, then hybrid again."""
    from tests.forum.search_fixtures import make_app
    indexed.extensions["searching"].stop()  # the process of the earlier model exits
    db.session.query(ThreadEmbedding).update({"model_id": "an-earlier-model@0123456789ab"})
    db.session.commit()
    for base in (tmp_path / "search").rglob("*.faiss"):  # the earlier model's vector base
        base.unlink()
    app = make_app(tmp_path, db.engine.url.render_as_string(hide_password=False))
    client = app.test_client()
    draft = {"title": "Template for a data sharing agreement", "body": "DSA-77"}
    answer = client.post("/api/v1/similar", json=draft).get_json()
    assert answer["mode"] == "lexical", answer
    assert [r["title"] for r in answer["results"]] == ["Data sharing agreement template"]
    page = client.get("/search?q=data+sharing+agreement").get_data(as_text=True)
    assert "being rebuilt for a new language model" in page
    assert client.get("/healthz").get_json()["search"]["mode"] == "lexical"
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["search", "reindex"]).exit_code == 0
    assert client.post("/api/v1/similar", json=draft).get_json()["mode"] == "hybrid"
    assert "being rebuilt" not in client.get("/search?q=data+sharing+agreement").get_data(as_text=True)
    assert client.get("/healthz").get_json()["search"]["mode"] == "hybrid"
    with app.app_context():
        db.engine.dispose()


def test_reindex_verify_and_repair(indexed):
    runner = indexed.test_cli_runner()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "Indexed 2 threads." in result.output, result.output
    assert runner.invoke(args=["search", "verify"]).exit_code == 0
    # A stale vector: stored for other text than the thread has now.
    row = db.session.scalars(db.select(ThreadEmbedding)).first()
    row.text_digest = "0" * 64
    db.session.commit()
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 1
    assert "stale thread(s): stored embeddings of older text" in result.output
    result = runner.invoke(args=["search", "repair"])
    assert result.exit_code == 0 and "Requeued 1 thread(s)." in result.output
    assert runner.invoke(args=["search", "verify"]).exit_code == 0
    assert runner.invoke(args=["search", "reindex", "--reencode"]).exit_code == 0
    assert runner.invoke(args=["search", "verify"]).exit_code == 0


def test_status_says_when_the_model_is_missing(tmp_path, monkeypatch):
    from tests.forum.search_fixtures import make_app
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, SEARCH_MODEL=str(tmp_path / "absent-model"))
    result = app.test_cli_runner().invoke(args=["search", "status"])
    assert result.exit_code == 0
    assert "keyword search only" in result.output and "lexical only" in result.output


@pytest.mark.slow
@pytest.mark.skipif(not (SEMEVAL / "dev2016").is_dir(), reason="../shared/eval is not present")
def test_evaluate_meets_the_quality_targets_through_the_forum(tmp_path, monkeypatch):
    """Imports dev2016 through `threads import`'s code path and queries like /api/v1/similar."""
    from tests.forum.search_fixtures import make_app
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    result = make_app(tmp_path).test_cli_runner().invoke(
        args=["search", "evaluate", str(SEMEVAL / "dev2016")])
    assert result.exit_code == 0, result.output
    rows = {}
    for line in result.output.splitlines():
        match = re.match(r"\| (dense|lexical|hybrid) \| (.*) \|$", line)
        if match:
            rows[match.group(1)] = [float(x) for x in match.group(2).split(" | ")]
    assert set(rows) == {"dense", "lexical", "hybrid"}, result.output
    rerank_map, ndcg = 0, 3  # columns: rerank MAP, MRR, P@1, retrieval nDCG@10, ...
    assert rows["hybrid"][rerank_map] >= 79.5  # 79.95 measured (issue 13), 78.90 before
    assert rows["hybrid"][ndcg] >= 77.9  # 78.13 measured, 77.96 before
    for other in ("dense", "lexical"):
        assert rows["hybrid"][rerank_map] > rows[other][rerank_map]
        assert rows["hybrid"][ndcg] > rows[other][ndcg]
