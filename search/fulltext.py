"""Persisted BM25 keyword search over thread ids, on Tantivy (PyPI ``tantivy``).

Why Tantivy rather than the in-memory ``BM25Index``: the index lives in files
(memory-mapped, shared by every worker process on a machine), opens in
milliseconds instead of being rebuilt from every thread at each start, and
answers long queries with dynamic pruning (block-max WAND). One process writes
(Tantivy's own lock file guards the folder); any number of processes read, each
``reader()`` being an immutable point-in-time view, so queries never wait for
the writer.

Text goes in already tokenised by ``search.lexical.tokenize`` and is split on
whitespace only: codes such as ``LTA-2024-017`` stay whole exactly as in
``BM25Index``, and each query term is boosted by its count in the query, which
is Okapi BM25 as ``BM25Index`` computes it (k1 = 1.2, b = 0.75; Tantivy stores
document lengths in one byte, the one difference, within 0.5 points on the
SemEval splits — benchmarks/README.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import tantivy

from search.lexical import tokenize

# Retrieval keeps this many of a query's distinct terms, the rarest (benchmarks/README.md,
# "A million threads": dev quality unchanged, long-query p95 bounded at 1M documents).
MAX_QUERY_TERMS = 16
WRITER_HEAP = 32_000_000  # bytes of indexing buffer; Tantivy flushes a segment when full


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field("text", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("digest", stored=True, tokenizer_name="raw")
    return builder.build()


SCHEMA = _schema()


class FullTextIndex:
    """A Tantivy index in a folder (or in memory when ``path`` is None)."""

    def __init__(self, path: str | Path | None = None) -> None:
        """Open the index at ``path``, creating it when absent.

        Args:
            path: Folder of the index; None keeps it in memory (tests, evaluation).

        Raises:
            OSError: the folder cannot be opened or holds an incompatible index.
        """
        if path is not None:
            Path(path).mkdir(parents=True, exist_ok=True)
        self.path = None if path is None else str(path)
        self._index = tantivy.Index(SCHEMA, self.path)
        self._writer: tantivy.IndexWriter | None = None

    # ------------------------------------------------------------ writing (one process)
    def writer(self) -> tantivy.IndexWriter:
        """This process's writer; raises ValueError when another process holds the lock."""
        if self._writer is None:
            self._writer = self._index.writer(WRITER_HEAP, 1)
        return self._writer

    def upsert_many(self, items: Iterable[tuple[int, str, str]]) -> None:
        """Add or replace documents; visible to readers after ``commit``.

        Args:
            items: ``(thread id, text, digest)``; the digest is kept to verify the text later.
        """
        writer = self.writer()
        for doc_id, text, digest in items:
            writer.delete_documents_by_query(_id_query(doc_id))
            doc = tantivy.Document()
            doc.add_unsigned("id", int(doc_id))
            doc.add_text("text", " ".join(tokenize(text)))
            doc.add_text("digest", digest)
            writer.add_document(doc)

    def remove_many(self, ids: Iterable[int]) -> None:
        """Delete documents by id (unknown ids are ignored); visible after ``commit``."""
        writer = self.writer()
        for doc_id in ids:
            writer.delete_documents_by_query(_id_query(doc_id))

    def clear(self) -> None:
        """Delete every document (a rebuild starts from here); visible after ``commit``."""
        self.writer().delete_all_documents()

    def commit(self) -> None:
        """Publish the pending changes atomically and durably, then let the writer go
        (Tantivy's lock and indexing threads are held only while writing)."""
        if self._writer is not None:
            self._writer.commit()
            self._writer.garbage_collect_files()
            self._writer.wait_merging_threads()
            self._writer = None

    def close(self) -> None:
        """Release the writer lock (pending changes are rolled back)."""
        if self._writer is not None:
            self._writer.rollback()
            self._writer = None

    # ------------------------------------------------------------ reading (any process)
    def reader(self) -> FullTextReader:
        """An immutable view of the last commit (re-read from the folder)."""
        self._index.reload()
        return FullTextReader(self._index.searcher())


class FullTextReader:
    """One committed state of a ``FullTextIndex``: BM25 search and scoring, no locks."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self._searcher = searcher

    def __len__(self) -> int:
        """Number of documents."""
        return int(self._searcher.num_docs)

    def __contains__(self, doc_id: object) -> bool:
        """Whether ``doc_id`` is indexed."""
        return isinstance(doc_id, int) and bool(self.present([doc_id]))

    def present(self, ids: Iterable[int]) -> set[int]:
        """The subset of ``ids`` that is indexed."""
        ids = [int(i) for i in ids]
        if not ids:
            return set()
        query = tantivy.Query.term_set_query(SCHEMA, "id", ids)
        return set(self._ids_of(self._searcher.search(query, len(ids), count=False).hits))

    def ids(self) -> list[int]:
        """Every indexed id, sorted (for verification)."""
        total = len(self)
        if not total:
            return []
        hits = self._searcher.search(tantivy.Query.all_query(), total, count=False).hits
        return sorted(self._ids_of(hits))

    def digests(self, ids: Iterable[int]) -> dict[int, str]:
        """``{id: digest}`` of the text indexed for these ids (for verification)."""
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        query = tantivy.Query.term_set_query(SCHEMA, "id", ids)
        out = {}
        for _, address in self._searcher.search(query, len(ids), count=False).hits:
            doc = self._searcher.doc(address)
            out[doc["id"][0]] = doc["digest"][0]
        return out

    def search(self, query: str, k: int = 10, prune: bool = True) -> list[tuple[int, float]]:
        """The ``k`` best documents for ``query`` by BM25.

        Args:
            query: Free text.
            k: Number of results.
            prune: Retrieve with the ``MAX_QUERY_TERMS`` rarest terms only (a long
                composer body stays fast at a million threads); ``score`` still
                uses every term.

        Returns:
            ``(id, score)`` pairs, best first, only documents sharing a term.
        """
        counts = Counter(tokenize(query))
        if prune and len(counts) > MAX_QUERY_TERMS:
            counts = self._rarest(counts)
        terms = _terms_query(counts)
        if terms is None or k <= 0:
            return []
        return self._scored(self._searcher.search(terms, k, count=False).hits)

    def _rarest(self, counts: Counter) -> Counter:
        """The query terms with the fewest documents (highest IDF), absent terms dropped.

        Common words add little to BM25 but their long posting lists are most of the
        time of a long OR query (issue 9: ~1 s for a 60-word body at 100k threads)."""
        freq = {term: self._searcher.doc_freq("text", term) for term in counts}
        kept = sorted((t for t in counts if freq[t]), key=lambda t: (freq[t], -counts[t], t))
        return Counter({t: counts[t] for t in kept[:MAX_QUERY_TERMS]})

    def score(self, query: str, ids: Iterable[int]) -> dict[int, float]:
        """BM25 scores of the given documents (0.0 when indexed but sharing no term).

        Args:
            query: Free text.
            ids: Candidate ids; ids not indexed are left out.

        Returns:
            ``{id: score}`` for the candidates that are indexed.
        """
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        # One search: every indexed candidate must match the id filter, which adds nothing to
        # the score (boost 0); the terms are optional and add their BM25 score, so a candidate
        # sharing no term comes back with 0.0 (it took a second search, ``present``, before).
        only = tantivy.Query.boost_query(tantivy.Query.term_set_query(SCHEMA, "id", ids), 0.0)
        clauses = [(tantivy.Occur.Must, only)]
        terms = _terms_query(Counter(tokenize(query)))
        if terms is not None:
            clauses.append((tantivy.Occur.Should, terms))
        hits = self._searcher.search(tantivy.Query.boolean_query(clauses), len(ids), count=False).hits
        return dict(self._scored(hits))

    def _ids_of(self, hits) -> list[int]:
        addresses = [address for _, address in hits]
        return [int(v) for v in self._searcher.fast_field_values("id", addresses)] if addresses else []

    def _scored(self, hits) -> list[tuple[int, float]]:
        return list(zip(self._ids_of(hits), (float(score) for score, _ in hits)))


def _id_query(doc_id: int) -> tantivy.Query:
    # A term query, not delete_documents_by_term: the latter does not match u64 terms
    # (tantivy-py 0.27 turns Python ints into i64 terms).
    return tantivy.Query.term_query(SCHEMA, "id", int(doc_id))


def _terms_query(counts: Counter) -> tantivy.Query | None:
    """One SHOULD clause per distinct token, boosted by its count (BM25's query tf)."""
    if not counts:
        return None
    return tantivy.Query.boolean_query([
        (tantivy.Occur.Should,
         tantivy.Query.boost_query(tantivy.Query.term_query(SCHEMA, "text", term), float(n)))
        for term, n in counts.items()
    ])
