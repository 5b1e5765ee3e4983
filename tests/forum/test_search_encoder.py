"""Issue 9 in the forum: the encoder and thread settings reach the search service and its status."""
import json
import threading

import faiss
import pytest

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


def test_a_request_thread_keeps_faiss_to_the_process_share(tmp_path, monkeypatch):
    """OpenMP keeps its thread count per thread: the count the search thread applied at
    start-up must also hold in the threads that serve requests (else every FAISS search
    forks a team over all cores and leaves an OpenMP thread spinning, ~7 ms per request)."""
    from search.threads import available_cores
    from tests.factories import make_category, make_thread, make_user

    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "instance"))
    before = faiss.omp_get_max_threads()
    app = make_app(tmp_path, SEARCH_THREADS=1, SEARCH_ENCODER="auto")
    seen = {}

    def serve_one_request():
        seen["before"] = faiss.omp_get_max_threads()  # a new thread: OpenMP's default
        answer = app.test_client().post("/api/v1/similar", json={"title": "pooled fund"})
        seen["mode"], seen["results"] = answer.json["mode"], len(answer.json["results"])
        seen["after"] = faiss.omp_get_max_threads()

    try:
        with app.app_context():
            make_thread(make_user("amina"), make_category("Funding"), "Pooled fund governance",
                        "Who chairs the steering committee of a pooled fund?")
            app.extensions["searching"].settle()
            db.session.remove()
        request_thread = threading.Thread(target=serve_one_request)
        request_thread.start()
        request_thread.join()
        if min(available_cores(), seen["before"]) < 2:
            pytest.skip("one core (or OMP_NUM_THREADS=1): nothing to hold back")
        assert (seen["mode"], seen["results"]) == ("hybrid", 1)
        assert seen["after"] == 1, seen
    finally:
        faiss.omp_set_num_threads(before)
