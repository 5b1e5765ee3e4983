"""bench_million.py --quality: the dev2016 table with the keyword side on the in-memory
BM25Index, on Tantivy with every query term, and on Tantivy pruned to the rarest terms."""
from __future__ import annotations

from common import EVAL_ROOT


def quality(split: str = "dev2016") -> None:
    """SemEval table with the keyword side on BM25Index, Tantivy every term, Tantivy pruned."""
    from search.embedder import Embedder
    from search.engine import SearchEngine
    from search.evaluation import evaluate_engine, format_table, load_dataset
    from search.fulltext import FullTextIndex
    from search.text import lexical_text

    dataset = load_dataset(EVAL_ROOT / split)
    engine = SearchEngine(Embedder())
    engine.upsert_many(dataset.thread_docs())
    index = FullTextIndex()
    index.upsert_many((doc.thread_id, lexical_text(doc), "") for doc in dataset.thread_docs())
    index.commit()
    tantivy_reader = index.reader()
    for name, lexical in (("BM25Index (in memory)", engine.lexical),
                          ("Tantivy, every term", _EveryTerm(tantivy_reader)),
                          ("Tantivy, pruned (shipped)", tantivy_reader)):
        engine.lexical = lexical
        print(format_table(evaluate_engine(engine, dataset), title=f"{split}: {name}"), "\n", flush=True)


class _EveryTerm:
    """A FullTextReader that retrieves with every query term (the unpruned baseline)."""

    def __init__(self, reader) -> None:
        self._reader = reader

    def search(self, query: str, k: int = 10):
        """Retrieve without pruning."""
        return self._reader.search(query, k, prune=False)

    def __getattr__(self, name):
        return getattr(self._reader, name)

    def __contains__(self, doc_id) -> bool:
        return doc_id in self._reader

    def __len__(self) -> int:
        return len(self._reader)
