"""Title trust (search.titles): a title that repeats the body or says nothing loses its weight."""

from __future__ import annotations

import numpy as np
import pytest

from search import titles
from search.engine import SearchEngine
from search.text import ThreadDoc, query_texts, thread_texts


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("Which bank is best", "Which bank is best for a salary account?", True),
        ("WHICH bank, is best?", "which bank is best for a salary account", True),
        ("Best bank for salary", "Which bank is best for a salary account?", False),
        ("", "Which bank is best?", False),
        ("Which bank is best for a salary account? Thanks", "Which bank is best", False),
    ],
)
def test_is_opening(title, body, expected):
    assert titles.is_opening(title, body) is expected


def test_an_opening_title_is_left_out_of_thread_and_query_texts():
    doc = ThreadDoc(1, "Where to renew", "Where to renew a visa in Doha?", category="Visas")
    texts = thread_texts(doc)
    assert "title" not in texts and texts["main"] == "Where to renew a visa in Doha? Visas"
    assert query_texts("Where to renew", "Where to renew a visa?") == {"main": "Where to renew a visa?"}
    assert query_texts("Visa renewal", "Where to renew a visa?") == {
        "main": "Visa renewal Where to renew a visa?", "title": "Visa renewal"}
    assert query_texts("Visa renewal", "") == {"main": "Visa renewal", "title": "Visa renewal"}
    assert query_texts("", "") == {"main": ""}


def test_trust_ramps_between_the_thresholds():
    main = np.array([1.0, 0.0], np.float32)
    at = lambda cosine: titles.trust(np.array([cosine, np.sqrt(1 - cosine**2)], np.float32), main)  # noqa: E731
    assert at(0.1) == 0.0 and at(titles.LOW) == pytest.approx(0.0, abs=1e-6)
    assert at(0.9) == 1.0 and at(titles.HIGH) == pytest.approx(1.0)
    assert 0.0 < at((titles.LOW + titles.HIGH) / 2) < 1.0


def test_real_model_trusts_a_telling_title_and_not_a_generic_one(embedder):
    """The thresholds were read off real titles: check them on fresh text with the real model."""
    body = "My residence permit expires next month. Which office renews it and what papers do I need?"
    pairs = {"Renewing a residence permit": True, "Help!!": False, "Question": False}
    for title, telling in pairs.items():
        title_vec, main_vec = embedder.encode([title, f"{title} {body}"])
        assert (titles.trust(title_vec, main_vec) > 0.5) is telling, title


def test_generic_titles_do_not_make_unrelated_threads_look_close(embedder):
    """Without trust, a shared "Help!!" lifts unrelated threads to cosine ~0.5 ("Related" in
    the composer, above the search page's 0.35 cut); with it they stay loosely related."""
    docs = [
        ThreadDoc(1, "Help!!", "Where can I buy a second-hand fridge cheaply?"),
        ThreadDoc(2, "Help!!", "My cat is sick at night, which vet is open late?"),
        ThreadDoc(3, "Help!!", "Any advice on learning Arabic as an adult beginner?"),
        ThreadDoc(4, "Primary schools with a British curriculum", "We move in August with our son."),
    ]
    engine = SearchEngine(embedder)
    engine.upsert_many(docs)
    hits = engine.similar("Help!!", "Looking for a British primary school for my daughter", k=4, mode="dense")
    assert hits[0].thread_id == 4 and hits[0].dense > 0.75
    assert all(h.dense < 0.35 for h in hits[1:]), hits
