"""search.extractive: sentence splitting and maximal marginal relevance, on plain vectors."""
import numpy as np

from search.extractive import lead_select, mmr_select, split_sentences


def unit(*rows):
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_split_keeps_words_drops_markup_lists_and_fragments():
    text = ("**What worked**\n- One joint workplan signed by all three agency heads.\n"
            "- A [single review](https://x.org) meeting chaired by the ministry.\n\n"
            "We used e.g. the HACT framework for all partners. It cost USD 2.4m in total! Thanks.\n"
            "What we would repeat:\n```\ncode block that is long enough to count here\n```")
    assert split_sentences(text) == [
        "One joint workplan signed by all three agency heads.",
        "A single review meeting chaired by the ministry.",
        "We used e.g. the HACT framework for all partners.",
        "It cost USD 2.4m in total!",
    ]
    assert split_sentences("") == [] and split_sentences("word " * 100) == []


def test_mmr_prefers_relevant_then_different():
    query = unit([1, 0, 0])[0]
    sentences = unit([1, 0.1, 0], [1, 0.12, 0], [0.7, 0, 0.7], [0, 1, 0])
    assert mmr_select(query, sentences, 2, diversity=0.0, centrality=0.0) == [0, 1]
    # With diversity, the near-duplicate of the first pick loses to a different relevant one.
    assert mmr_select(query, sentences, 2, diversity=0.5, centrality=0.0) == [0, 2]


def test_mmr_caps_each_group_and_uses_the_prior():
    query = unit([1, 0])[0]
    sentences = unit([1, 0.05], [1, 0.1], [0.9, 0.4], [0.8, 0.6])
    groups = ["a", "a", "a", "b"]
    assert mmr_select(query, sentences, 3, diversity=0.0, centrality=0.0, groups=groups,
                      max_per_group=2) == [0, 1, 3]
    prior = np.array([0.0, 0.0, 0.0, 1.0])
    assert mmr_select(query, sentences, 1, diversity=0.0, centrality=0.0, prior=prior,
                      prior_weight=0.9) == [3]
    assert mmr_select(query, np.zeros((0, 2), np.float32), 3) == []


def test_lead_takes_first_sentences_round_robin():
    assert lead_select(["a", "a", "b", "c", "c"], 4) == [0, 2, 3, 1]
    assert lead_select([], 3) == []
