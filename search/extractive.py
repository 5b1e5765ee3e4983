"""Extractive summaries: split posts into sentences, pick representative, non-redundant ones.

No generative model is available offline, so a consolidated reply is built from the
community's own sentences, quoted exactly (after Markdown is stripped). The choice is
maximal marginal relevance (Carbonell & Goldstein, 1998, "The use of MMR, diversity-based
reranking for reordering documents and producing summaries"): each step takes the sentence
that is closest to the question (and to the pool's centre: representative) while least like
the sentences already taken (non-redundant). Blending in how close each sentence's whole
thread is to the question (the search engine's judgement) was the largest gain measured on
SemEval-2016 dev (benchmarks/consolidated.py, benchmarks/README.md); the defaults here are
the shipped ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from search.text import strip_markdown

MIN_WORDS = 5  # shorter pieces ("Thanks!", "Agreed.") say nothing on their own
MAX_WORDS = 70  # longer ones are run-ons or tables; quoting them whole would be a wall
_FENCED_CODE = re.compile(r"^\s*(```|~~~).*?^\s*\1\s*$", re.MULTILINE | re.DOTALL)
_BLOCKS = re.compile(r"\n\s*\n|\n(?=\s{0,3}(?:[-*+]\s|\d{1,3}[.)]\s|#|>))")
# A sentence ends at . ! ? (optionally closed by a quote or bracket) before a capital,
# digit or opening quote; "e.g. the" and "USD 2.4m" stay whole.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]?\s+(?=[A-Z0-9\"“‘(])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf|approx|Mr|Mrs|Ms|Dr|No|St)\.$", re.I)


def split_sentences(markdown: str, min_words: int = MIN_WORDS,
                    max_words: int = MAX_WORDS) -> list[str]:
    """Return the quotable sentences of a Markdown post, in order.

    Args:
        markdown: A post body as its author wrote it.
        min_words: Sentences with fewer words are left out.
        max_words: Sentences with more words are left out.

    Returns:
        Plain-text sentences (Markdown markup removed, words unchanged).
    """
    text = _FENCED_CODE.sub("\n\n", markdown or "")
    sentences: list[str] = []
    for block in _BLOCKS.split(text):
        plain = strip_markdown(block)
        for sentence in _join_abbreviations(_SENTENCE_END.split(plain)):
            sentence = sentence.strip()
            # "What I'd repeat:" introduces a list; quoted on its own it says nothing.
            if min_words <= len(sentence.split()) <= max_words and not sentence.endswith(":"):
                sentences.append(sentence)
    return sentences


def _join_abbreviations(pieces: list[str]) -> list[str]:
    """Glue back pieces that were split after an abbreviation such as "e.g."."""
    out: list[str] = []
    for piece in pieces:
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def mmr_select(query: np.ndarray, sentences: np.ndarray, k: int, *, diversity: float = 0.5,
               centrality: float = 0.3, max_per_group: int | None = None,
               groups: Sequence[object] | None = None, prior: np.ndarray | None = None,
               prior_weight: float = 0.0, min_similarity: float = 0.0) -> list[int]:
    """Pick up to ``k`` sentences by maximal marginal relevance.

    Args:
        query: The question's vector (dim,), L2-normalised.
        sentences: Candidate sentence vectors (n, dim), L2-normalised.
        k: How many to pick.
        diversity: Weight of redundancy against relevance (0 = relevance only).
        centrality: Share of relevance that is closeness to the pool's centroid
            (representative of what the replies say) rather than to the question.
        max_per_group: At most this many picks from one group (e.g. one post).
        groups: The group of each sentence, when ``max_per_group`` is set.
        prior: A score per sentence known beforehand (e.g. how close its whole thread is
            to the question), blended into relevance with ``prior_weight``.
        prior_weight: Share of relevance taken by ``prior``.
        min_similarity: Sentences less similar than this to the question are never picked:
            without a floor, an off-topic sentence wins on diversity alone.

    Returns:
        Indices into ``sentences``, in the order they were picked (best first).
    """
    n = len(sentences)
    if n == 0 or k <= 0:
        return []
    relevance = relevance_scores(query, sentences, centrality)
    if prior is not None and prior_weight:
        relevance = (1 - prior_weight) * relevance + prior_weight * np.asarray(prior, np.float32)
    similarity = sentences @ sentences.T
    picked: list[int] = []
    per_group: dict[object, int] = {}
    redundancy = np.zeros(n, dtype=np.float32)  # max similarity to a picked sentence (>= 0)
    available = (sentences @ query) >= min_similarity
    while len(picked) < min(k, n):
        score = (1 - diversity) * relevance - diversity * redundancy
        score = np.where(available, score, -np.inf)
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            break
        available[best] = False
        if max_per_group is not None and groups is not None:
            group = groups[best]
            if per_group.get(group, 0) >= max_per_group:
                continue
            per_group[group] = per_group.get(group, 0) + 1
        picked.append(best)
        redundancy = np.maximum(redundancy, similarity[best])
    return picked


def relevance_scores(query: np.ndarray, sentences: np.ndarray, centrality: float) -> np.ndarray:
    """Closeness of each sentence to the question, blended with closeness to the pool's centre."""
    to_query = sentences @ query
    if centrality <= 0 or len(sentences) < 2:
        return to_query.astype(np.float32)
    centre = sentences.mean(axis=0)
    centre = centre / (np.linalg.norm(centre) or 1.0)
    return ((1 - centrality) * to_query + centrality * (sentences @ centre)).astype(np.float32)


def lead_select(groups: Sequence[object], k: int) -> list[int]:
    """The baseline: the first sentence of each group in order, then the second, and so on.

    Args:
        groups: The group (e.g. source thread) of each sentence, sentences in source order.
        k: How many to pick.

    Returns:
        Indices of the picked sentences.
    """
    order: dict[object, list[int]] = {}
    for i, group in enumerate(groups):
        order.setdefault(group, []).append(i)
    picked: list[int] = []
    depth = 0
    while len(picked) < k and any(depth < len(v) for v in order.values()):
        picked.extend(v[depth] for v in order.values() if depth < len(v))
        depth += 1
    return picked[:k]
