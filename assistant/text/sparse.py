"""Sparse BM25 vectors, computed on our side for both store back ends.

Qdrant Edge's ``Bm25`` tokenises, removes stop words and stems with Snowball; the
collection applies IDF at query time (``Modifier.Idf``), so the same vectors serve the
embedded engine and a server.

- **Language.** A passage is analysed in its own language (Swedish, or English for
  English passages). A question is analysed both ways and the terms joined: its language
  does not tell which language the answering document is in.
- **Compounds.** Swedish passages and questions also get the parts of their compounds
  (``assistant.text.compounds``), so "förskoleplacering" meets "placering i förskolan".
- **Inflections.** A question adds the forms of its words without a common ending, as
  Snowball stems some forms apart ("löneutrymmet" and "löneutrymme").
"""

from __future__ import annotations

import re

from qdrant_edge import Bm25, Bm25Config

from assistant.text.compounds import CompoundSplitter

SparseVector = tuple[list[int], list[float]]

# Bump when the analysis of passages changes what their sparse vectors hold: the store
# then starts a fresh collection. 2 = English passages analysed in English, compound
# parts indexed; 3 = parts weigh half.
ANALYSIS_VERSION = 3


class SparseEncoder:
    part_weight = 0.5  # a compound part's weight, relative to a word of the text

    def __init__(self, compounds: bool = True) -> None:
        self._sv = Bm25(Bm25Config(language="swedish"))
        self._en = Bm25(Bm25Config(language="english"))
        self._splitter = CompoundSplitter.swedish() if compounds else None

    def document(self, text: str, lang: str = "sv") -> SparseVector:
        """A passage's vector, analysed in its language (``'sv'`` or ``'en'``)."""
        if lang == "en":
            vector = self._en.embed_document(text)
            return list(vector.indices), list(vector.values)
        whole = self._sv.embed_document(text)
        terms = dict(zip(whole.indices, whole.values, strict=True))
        parts = self._parts(text)
        if parts:
            # A part met only inside compounds weighs less than the word itself would.
            extended = self._sv.embed_document(" ".join([text, *parts]))
            for term, value in zip(extended.indices, extended.values, strict=True):
                terms.setdefault(term, value * self.part_weight)
        return list(terms), list(terms.values())

    def query(self, text: str) -> SparseVector:
        """The question's terms in Swedish (with inflections and, weighing less, the parts
        of its compounds) and in English."""
        swedish = " ".join([text, *inflections(text)])
        terms = dict.fromkeys(
            [*self._sv.embed_query(swedish).indices, *self._en.embed_query(text).indices], 1.0
        )
        for term in self._sv.embed_query(" ".join(self._parts(text))).indices:
            terms.setdefault(term, self.part_weight)
        return list(terms), list(terms.values())

    def terms(self, text: str) -> frozenset[int]:
        """The stemmed content words of a text (Swedish analysis, stop words removed)."""
        return frozenset(self._sv.embed_query(text).indices)

    def _parts(self, text: str) -> list[str]:
        return self._splitter.parts(text) if self._splitter is not None else []


_ENDINGS_1 = ("t", "n", "s", "a", "e")
_ENDINGS_2 = ("et", "en", "er", "ar", "or", "na", "ns", "ts")


def inflections(text: str) -> list[str]:
    """Forms of the text's longer words without a common ending ("veckan" -> "vecka")."""
    forms = []
    for word in re.findall(r"[^\W\d_]{6,}", text.lower()):
        if word.endswith(_ENDINGS_1):
            forms.append(word[:-1])
        if word.endswith(_ENDINGS_2):
            forms.append(word[:-2])
    return forms
