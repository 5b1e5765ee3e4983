"""Tantivy retrieval with long queries (issue 9): only the rarest terms are searched."""

from __future__ import annotations

from collections import Counter

from search.fulltext import MAX_QUERY_TERMS, FullTextIndex

COMMON = [f"common{n}" for n in range(MAX_QUERY_TERMS + 4)]


def index_with(docs: dict[int, str]):
    """An in-memory index holding ``docs``, and its reader."""
    index = FullTextIndex()
    index.upsert_many((doc_id, text, "") for doc_id, text in docs.items())
    index.commit()
    return index.reader()


def corpus() -> dict[int, str]:
    """50 documents full of common words; one also has the rare code, one only a common word."""
    docs = {n: " ".join(COMMON) for n in range(1, 51)}
    docs[60] = "grant reporting template zebrafund"
    docs[61] = COMMON[0]
    return docs


def test_a_long_query_keeps_its_rarest_terms():
    reader = index_with(corpus())
    query = " ".join(COMMON) + " zebrafund"  # more distinct terms than are searched
    pruned = reader._rarest(Counter(query.split()))
    assert "zebrafund" in pruned and len(pruned) == MAX_QUERY_TERMS
    assert reader.search(query, 1) == reader.search(query, 1, prune=False)[:1]
    assert reader.search(query, 1)[0][0] == 60


def test_terms_absent_from_the_index_are_dropped_before_counting():
    reader = index_with(corpus())
    unknown = " ".join(f"nowhere{n}" for n in range(MAX_QUERY_TERMS + 5))
    assert [doc for doc, _ in reader.search(unknown + " zebrafund", 5)] == [60]


def test_scores_still_use_every_term():
    reader = index_with(corpus())
    query = " ".join(f"rare{n}" for n in range(MAX_QUERY_TERMS)) + " " + " ".join(COMMON)
    assert 61 not in dict(reader.search(query, 100))  # only a pruned common word matches it
    assert reader.score(query, [61, 60])[61] > 0.0
    assert reader.score(query, [61, 60])[60] == 0.0


def test_short_queries_are_not_pruned():
    reader = index_with(corpus())
    assert reader.search("common1 zebrafund", 60) == reader.search("common1 zebrafund", 60, prune=False)


def test_score_is_bm25_for_every_indexed_candidate_in_one_search():
    """Candidates sharing a term get the full query's BM25 (as a search ranks them), indexed
    ones sharing none 0.0, unknown ids nothing, even when the query has no word left."""
    reader = index_with(corpus())
    query = "zebrafund template " + COMMON[0]
    ranked = dict(reader.search(query, 100, prune=False))
    scores = reader.score(query, [60, 61, 1, 999])
    assert set(scores) == {60, 61, 1}
    assert abs(scores[60] - ranked[60]) < 1e-5 and abs(scores[61] - ranked[61]) < 1e-5
    assert scores[60] > scores[61] > 0.0
    assert reader.score("grant", [1, 60, 999]) == {1: 0.0, 60: reader.search("grant", 1)[0][1]}
    assert reader.score("the of and", [1, 60, 999]) == {1: 0.0, 60: 0.0}  # stopwords only
    assert reader.score(query, []) == {}
