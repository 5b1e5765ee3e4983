"""SearchEngine: hybrid retrieval with the real model, lexical fallback, vector reuse, persistence."""

from __future__ import annotations

import numpy as np
import pytest

from search.engine import EngineConfig, FieldVector, SearchEngine
from search.text import ThreadDoc

THREADS = [
    ThreadDoc(
        1,
        "Renewing a residence permit",
        "My RP expires next month. Which documents does immigration need?",
        category="Visas and Permits",
        replies=("Passport, photo and the company letter.",),
    ),
    ThreadDoc(
        2,
        "Best bank for salary account",
        "Which bank gives good service for expats?",
        category="Advice and Help",
        replies=("QNB is fine", "CBQ has better rates"),
    ),
    ThreadDoc(
        3, "Driving licence transfer", "Can I convert my UK licence without a test?", category="Motoring"
    ),
    ThreadDoc(
        4,
        "Good schools for kids",
        "Looking for a British curriculum school near West Bay.",
        category="Education",
    ),
    ThreadDoc(
        5,
        "Pump failure LTA-2024-017",
        "Line 3 pump tripped twice, see incident LTA-2024-017.",
        tags=("maintenance",),
        category="Operations",
    ),
    ThreadDoc(6, "Weekend trips", "Where can we go camping in the desert this winter?", category="Leisure"),
]


@pytest.fixture(scope="module")
def engine(embedder):
    """The real model over a handful of threads."""
    built = SearchEngine(embedder)
    built.upsert_many(THREADS)
    return built


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_paraphrase_finds_its_thread(engine, mode):
    hits = engine.similar(
        "How do I extend my work visa?", "Papers needed to prolong my residency card", k=3, mode=mode
    )
    assert hits[0].thread_id == 1
    assert hits[0].dense is not None and (hits[0].lexical is None) == (mode == "dense")


def test_paraphrase_with_no_shared_words(engine):
    hits = engine.similar("Which lender should I pick to receive my wages?", k=2)
    assert hits[0].thread_id == 2


def test_exact_code_is_found_in_hybrid_mode(engine):
    assert engine.similar("LTA-2024-017", k=1)[0].thread_id == 5


def test_candidate_restriction_and_large_k(engine):
    hits = engine.similar("bank salary", k=10, candidate_ids=[3, 4, 2, 999])
    assert sorted(h.thread_id for h in hits) == [2, 3, 4] and hits[0].thread_id == 2
    assert len(engine.similar("anything at all", k=1000)) == len(THREADS)


def test_remove_drops_thread_from_both_indexes(embedder):
    engine = SearchEngine(embedder)
    engine.upsert_many(THREADS[:3])
    engine.remove(2)
    engine.remove(42)
    assert len(engine) == 2 and 2 not in engine.dense
    assert all(h.thread_id != 2 for h in engine.similar("bank salary", k=5))


def test_lexical_only_fallback_without_embedder():
    engine = SearchEngine(None)
    assert engine.lexical_only and engine.index_model_id is None
    engine.upsert_many(THREADS)
    hits = engine.similar("driving licence", "convert", k=3, mode="hybrid")
    assert hits[0].thread_id == 3 and hits[0].dense is None and hits[0].lexical > 0
    with pytest.raises(RuntimeError):
        engine.embed_threads(THREADS[:1])


def test_ranks_by_keywords_while_most_threads_have_no_vector(fake_embedder):
    """After a change of model the vector side starts empty and fills as threads are
    re-encoded: until it holds at least half of the keyword side's threads the view ranks
    (and says it ranks) by keywords alone, without encoding the query."""
    engine = SearchEngine(fake_embedder)
    engine.upsert_many(THREADS)
    engine.dense.remove([t.thread_id for t in THREADS[:4]])  # 2 of 6 keep a vector
    calls = len(fake_embedder.calls)
    assert not engine.view().by_meaning and not engine.view().lexical_only
    hits = engine.similar("driving licence", "convert", k=3, mode="hybrid")
    assert hits and all(h.dense is None and h.lexical is not None for h in hits)
    assert len(fake_embedder.calls) == calls  # no query encoding for nothing
    engine.upsert_many(THREADS[:1])  # 3 of 6: half, matched by meaning again
    assert engine.view().by_meaning
    hits = engine.similar("driving licence", "convert", k=3)
    assert len(fake_embedder.calls) > calls and any(h.dense is not None for h in hits)


def test_a_draft_typed_on_encodes_only_the_text_that_changed(fake_embedder, embedder):
    """The composer asks again at each pause while the body grows under the same title: the
    title is encoded once, each new body once, and the vector is the one a fresh encoder
    gives (fake model: what is encoded; the real one: the same vector)."""
    from search.ranking import EngineConfig, QueryEncoder
    from search.text import query_texts

    queries = QueryEncoder(fake_embedder, EngineConfig())
    title = "Pooled fund governance"
    bodies = ["Who chairs", "Who chairs the steering committee", "Who chairs the steering committee?"]
    for n, body in enumerate(bodies):
        vector = queries(title, body)
        texts = query_texts(title, body)
        assert fake_embedder.calls[-1] == ([texts["main"], texts["title"]] if n == 0 else [texts["main"]])
        assert np.array_equal(vector, QueryEncoder(fake_embedder, EngineConfig())(title, body))
    calls = len(fake_embedder.calls)
    queries(title, bodies[0])  # asked again (paging, a second pane): nothing encoded
    assert len(fake_embedder.calls) == calls
    real = QueryEncoder(embedder, EngineConfig())
    real(title, bodies[0])
    assert np.allclose(real(title, bodies[1]), QueryEncoder(embedder, EngineConfig())(title, bodies[1]),
                       atol=1e-6)


def test_embed_threads_reuses_stored_vectors(fake_embedder):
    engine = SearchEngine(fake_embedder)
    first = engine.embed_threads(THREADS[:2])
    assert set(first[0]) == {"main", "title", "replies"} and isinstance(first[0]["main"], FieldVector)
    assert len(fake_embedder.calls[-1]) == 6
    stored = [{f: (v.digest, v.vector) for f, v in fields.items()} for fields in first]
    edited = ThreadDoc(
        2,
        THREADS[1].title,
        THREADS[1].body,
        category=THREADS[1].category,
        replies=THREADS[1].replies + ("Doha Bank too",),
    )
    again = engine.embed_threads([THREADS[0], edited], stored)
    assert fake_embedder.calls[-1] == [again[1]["replies"].text]  # only the changed field
    assert np.array_equal(again[0]["main"].vector, first[0]["main"].vector)


def test_upsert_with_precomputed_vectors_does_not_encode(fake_embedder):
    engine = SearchEngine(fake_embedder)
    fields = engine.embed_threads(THREADS)
    calls = len(fake_embedder.calls)
    engine.upsert_many(THREADS, fields)
    engine.upsert(THREADS[0], {name: fv.vector for name, fv in fields[0].items()})
    assert len(fake_embedder.calls) == calls and len(engine.dense) == len(THREADS)


def test_save_and_load_vector_index(fake_embedder, tmp_path):
    engine = SearchEngine(fake_embedder)
    engine.upsert_many(THREADS)
    engine.save(tmp_path, last_change_id=12)
    fresh = SearchEngine(fake_embedder)
    manifest = fresh.load(tmp_path)
    assert manifest["last_change_id"] == 12 and fresh.dense.ids() == [t.thread_id for t in THREADS]
    other = SearchEngine(fake_embedder, EngineConfig(field_weights={"main": 1.0}))
    assert other.load(tmp_path) is None  # different thread-vector recipe: rebuild


def test_unknown_mode_is_rejected(fake_embedder):
    with pytest.raises(ValueError):
        SearchEngine(fake_embedder).similar("x", mode="magic")


def test_stale_or_incomplete_vectors_are_reencoded(fake_embedder):
    engine = SearchEngine(fake_embedder)
    fields = engine.embed_threads(THREADS[:1])[0]
    calls = len(fake_embedder.calls)
    edited = ThreadDoc(
        1, "A new title", THREADS[0].body, category=THREADS[0].category, replies=THREADS[0].replies
    )
    engine.upsert(edited, fields)  # title changed: its FieldVectors no longer match
    assert len(fake_embedder.calls) == calls + 1
    engine.upsert(THREADS[0], {"main": fields["main"].vector})  # title and replies vectors missing
    assert len(fake_embedder.calls) == calls + 2
