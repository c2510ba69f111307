"""Sparse BM25 vectors for Swedish text, computed on our side for both store back ends.

Qdrant Edge's ``Bm25`` tokenises, removes stop words and stems (Snowball Swedish); the
collection applies IDF at query time (``Modifier.Idf``), so the same vectors serve the
embedded engine and a server.
"""

from __future__ import annotations

from qdrant_edge import Bm25, Bm25Config

SparseVector = tuple[list[int], list[float]]


class SparseEncoder:
    def __init__(self, language: str = "swedish") -> None:
        self._bm25 = Bm25(Bm25Config(language=language))

    def document(self, text: str) -> SparseVector:
        vector = self._bm25.embed_document(text)
        return list(vector.indices), list(vector.values)

    def query(self, text: str) -> SparseVector:
        vector = self._bm25.embed_query(text)
        return list(vector.indices), list(vector.values)

    def terms(self, text: str) -> frozenset[int]:
        """The stemmed content words of a text (stop words removed), as token ids."""
        return frozenset(self._bm25.embed_query(text).indices)
