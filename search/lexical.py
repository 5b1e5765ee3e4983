"""BM25 lexical retrieval with an incremental in-memory inverted index.

Why our own ~150 lines instead of a library: the index must follow the
database one thread at a time (upsert on edit, remove on delete). bm25s and
rank_bm25 build a static matrix from the whole corpus and must be rebuilt on
every change (bm25s issues #5, #19, #98: "not possible"). Here the postings are
plain dicts, document frequencies and lengths are kept as counters, and IDF is
computed at query time from the current counts, so an edit costs O(terms of the
document) and a query costs O(postings of its terms).
"""

from __future__ import annotations

import heapq
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable

# Words joined by - _ . / are kept whole *and* split, so "LTA-2024-017" matches
# exactly (a rare, high-IDF token) and also "LTA 2024" typed loosely.
_WORD = re.compile(r"\w+(?:[-_./]\w+)*")
# Scripts written without spaces: index each character (unigrams) so a query
# in Chinese or Japanese still matches something instead of one giant token.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

# A light list: only words that carry no topic in forum questions. Kept short
# on purpose; BM25's IDF already discounts frequent words.
STOPWORDS = frozenset(
    """a an and are as at be been but by can could do does did for from had has have
    he her him his how i if in into is it its me my no not of on or our she so that
    the their them then there these they this those to was we were what when where
    which who why will with would you your am any all just about also than too very
    hi hello thanks thank please anyone someone""".split()
)


_SEPARATOR = re.compile(r"[-_./]")


def _keep(token: str) -> bool:
    """Drop stopwords and single ASCII characters (apostrophe debris such as the t of don't)."""
    return token not in STOPWORDS and (len(token) > 1 or not token.isascii())


def _expand(word: str) -> list[str]:
    """A word, plus its parts when it is a joined code, plus CJK characters one by one."""
    if not word.isascii() and _CJK.search(word):
        return [ch for ch in word if not _SEPARATOR.match(ch)]
    if _SEPARATOR.search(word):
        return [word, *(part for part in _SEPARATOR.split(word) if part)]
    return [word]


def tokenize(text: str) -> list[str]:
    """Lower-case, Unicode-aware word tokens with codes kept whole, stopwords dropped.

    Args:
        text: Any string, in any script.

    Returns:
        Tokens; empty for junk such as punctuation only.
    """
    text = unicodedata.normalize("NFKC", text or "").casefold()
    tokens: list[str] = []
    for word in _WORD.findall(text):
        if word.isalnum() and word.isascii():  # fast path: a plain word
            if _keep(word):
                tokens.append(word)
        else:
            tokens.extend(t for t in _expand(word) if _keep(t))
    return tokens


class BM25Index:
    """Okapi BM25 over an inverted index that supports upsert and remove by id."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        """Create an empty index.

        Args:
            k1: Term-frequency saturation.
            b: Length normalisation strength.
        """
        self.k1, self.b = k1, b
        self._postings: dict[str, dict[int, int]] = {}
        self._doc_terms: dict[int, Counter[str]] = {}
        self._doc_len: dict[int, int] = {}
        self._total_len = 0
        self._lock = threading.RLock()

    def __len__(self) -> int:
        """Number of indexed documents."""
        return len(self._doc_len)

    def __contains__(self, doc_id: object) -> bool:
        """Whether ``doc_id`` is indexed."""
        return doc_id in self._doc_len

    def ids(self) -> list[int]:
        """The indexed document ids (to compare the index with the database)."""
        with self._lock:
            return list(self._doc_len)

    def upsert(self, doc_id: int, text: str) -> None:
        """Index ``text`` under ``doc_id``, replacing any previous text.

        Args:
            doc_id: Database id of the document.
            text: Plain text to index.
        """
        terms = Counter(tokenize(text))
        with self._lock:
            self.remove(doc_id)
            for term, tf in terms.items():
                self._postings.setdefault(term, {})[doc_id] = tf
            self._doc_terms[doc_id] = terms
            self._doc_len[doc_id] = sum(terms.values())
            self._total_len += self._doc_len[doc_id]

    def remove(self, doc_id: int) -> None:
        """Drop ``doc_id`` from the index (no-op when absent)."""
        with self._lock:
            terms = self._doc_terms.pop(doc_id, None)
            if terms is None:
                return
            for term in terms:
                postings = self._postings[term]
                del postings[doc_id]
                if not postings:
                    del self._postings[term]
            self._total_len -= self._doc_len.pop(doc_id)

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """Return the ``k`` best documents for ``query``.

        Args:
            query: Free text.
            k: Number of results.

        Returns:
            ``(doc_id, score)`` pairs, best first, only documents sharing a term.
        """
        with self._lock:
            scores: dict[int, float] = {}
            for term, qtf in Counter(tokenize(query)).items():
                postings = self._postings.get(term)
                if not postings:
                    continue
                idf = self._idf(len(postings)) * qtf
                for doc_id, tf in postings.items():
                    scores[doc_id] = scores.get(doc_id, 0.0) + idf * self._tf_part(tf, doc_id)
        return heapq.nlargest(k, scores.items(), key=lambda item: item[1])

    def score(self, query: str, doc_ids: Iterable[int]) -> dict[int, float]:
        """Score only the given documents (0.0 when no term is shared).

        Args:
            query: Free text.
            doc_ids: Candidate ids; ids not in the index are left out.

        Returns:
            ``{doc_id: score}`` for the candidates that are indexed.
        """
        query_terms = Counter(tokenize(query))
        with self._lock:
            idf = {
                t: self._idf(len(self._postings[t])) * q
                for t, q in query_terms.items()
                if t in self._postings
            }
            out: dict[int, float] = {}
            for doc_id in doc_ids:
                terms = self._doc_terms.get(doc_id)
                if terms is not None:
                    out[doc_id] = sum(
                        w * self._tf_part(terms[t], doc_id) for t, w in idf.items() if t in terms
                    )
        return out

    def _idf(self, df: int) -> float:
        """Lucene's non-negative BM25 IDF."""
        n = len(self._doc_len)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _tf_part(self, tf: int, doc_id: int) -> float:
        """The saturated, length-normalised term-frequency factor."""
        avg_len = self._total_len / len(self._doc_len) if self._doc_len else 1.0
        norm = 1.0 - self.b + self.b * self._doc_len[doc_id] / max(avg_len, 1e-9)
        return tf * (self.k1 + 1.0) / (tf + self.k1 * norm)
