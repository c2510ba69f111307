"""Sparse BM25 vectors for Swedish text, computed on our side for both store back ends.

Qdrant Edge's ``Bm25`` tokenises, removes stop words and stems (Snowball Swedish); the
collection applies IDF at query time (``Modifier.Idf``), so the same vectors serve the
embedded engine and a server.
"""

from __future__ import annotations

import re

from qdrant_edge import Bm25, Bm25Config

SparseVector = tuple[list[int], list[float]]


class SparseEncoder:
    def __init__(self, language: str = "swedish") -> None:
        self._bm25 = Bm25(Bm25Config(language=language))

    def document(self, text: str) -> SparseVector:
        vector = self._bm25.embed_document(text)
        return list(vector.indices), list(vector.values)

    def query(self, text: str) -> SparseVector:
        """The question's stems, plus those of its words' nearest inflections.

        Snowball stems some Swedish forms apart ("löneutrymmet" and "löneutrymme");
        adding the forms without the last one or two letters of a common ending lets
        the question meet the document's form.
        """
        vector = self._bm25.embed_query(" ".join([text, *_inflections(text)]))
        return list(vector.indices), list(vector.values)

    def terms(self, text: str) -> frozenset[int]:
        """The stemmed content words of a text (stop words removed), as token ids."""
        return frozenset(self._bm25.embed_query(text).indices)


_ENDINGS_1 = ("t", "n", "s", "a", "e")
_ENDINGS_2 = ("et", "en", "er", "ar", "or", "na", "ns", "ts")


def _inflections(text: str) -> list[str]:
    forms = []
    for word in re.findall(r"[^\W\d_]{6,}", text.lower()):
        if word.endswith(_ENDINGS_1):
            forms.append(word[:-1])
        if word.endswith(_ENDINGS_2):
            forms.append(word[:-2])
    return forms
