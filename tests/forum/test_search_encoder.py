"""Issue 9 in the forum: the encoder and thread settings reach the search service and its status."""
import json

import faiss

from forum.extensions import db
from tests.forum.search_fixtures import make_app


def test_threads_and_encoder_are_applied_and_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    before = faiss.omp_get_max_threads()
    app = make_app(tmp_path, SEARCH_THREADS=1, SEARCH_ENCODER="auto")
    try:
        with app.app_context():
            service = app.extensions["searching"]
            service.settle()
            assert service.threads["faiss"] == 1 and faiss.omp_get_max_threads() == 1
            assert service.embedder.backend == "onnx-int8", service.embedder.backend_note
            session = service.embedder._onnx.session
            assert session.get_session_options().intra_op_num_threads == 1
            answer = app.test_cli_runner().invoke(args=["search", "status", "--json"])
            info = json.loads(answer.output)
            assert (info["encoder"], info["threads"], info["mode"]) == ("onnx-int8", 1, "hybrid")
            db.session.remove()
    finally:
        faiss.omp_set_num_threads(before)


def test_search_threads_reads_a_number_from_the_environment(tmp_path, monkeypatch):
    from forum import create_app

    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SEARCH_THREADS", "3")
    monkeypatch.setenv("SEARCH_ENCODER", "torch")
    app = create_app()
    assert app.config["SEARCH_THREADS"] == 3 and app.config["SEARCH_ENCODER"] == "torch"
