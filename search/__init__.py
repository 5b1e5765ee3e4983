"""Headstart search: framework-free "similar threads" retrieval (no Flask, no forum imports).

Ids in, ids out: the forum hands threads in as ``ThreadDoc`` values and gets
ranked thread ids back; it stays the source of truth and filters by permission.
"""

from search.embedder import Embedder, EmbedderUnavailable, ModelIntegrityError
from search.engine import EngineConfig, FieldVector, Hit, SearchEngine
from search.index import VectorIndex
from search.lexical import BM25Index
from search.text import ThreadDoc

__all__ = [
    "BM25Index",
    "Embedder",
    "EmbedderUnavailable",
    "EngineConfig",
    "FieldVector",
    "Hit",
    "ModelIntegrityError",
    "SearchEngine",
    "ThreadDoc",
    "VectorIndex",
]
