"""Which content words of a question (or a claim) a text contains.

Two keys match a word: Qdrant's Swedish BM25 stem, and its first six letters. Snowball
stems some inflections apart ("löneutrymmet" and "löneutrymme"); six-letter truncation,
a classic for Swedish retrieval, joins them. Stop words (spaCy's Swedish and English
lists) and question phrasing ("hur mycket", "how long") never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS as _EN_STOP
from spacy.lang.sv.stop_words import STOP_WORDS as _SV_STOP

from assistant.sparse import SparseEncoder

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_PHRASING = frozenset(
    "stor stort storlek lång långt länge mycket många ofta snabbt gäller gälla finns "
    "much many long often quickly soon".split()
)
_STOP = frozenset(_SV_STOP) | frozenset(_EN_STOP) | _PHRASING
_PREFIX = 6


@dataclass(frozen=True)
class Keys:
    """What a text offers for matching: BM25 stems and six-letter prefixes."""

    stems: frozenset[int]
    prefixes: frozenset[str]


class TermMatcher:
    def __init__(self, sparse: SparseEncoder | None = None) -> None:
        self._sparse = sparse or SparseEncoder()

    def words(self, text: str) -> list[str]:
        """Content words, lower-cased, in order, without repeats (BM25's stop words out too)."""
        seen = dict.fromkeys(w for w in _WORD.findall(text.lower()) if w not in _STOP)
        return [w for w in seen if self.stem(w) is not None]

    def keys(self, text: str) -> Keys:
        words = _WORD.findall(text.lower())
        return Keys(self._sparse.terms(text), frozenset(w[:_PREFIX] for w in words))

    def stem(self, word: str) -> int | None:
        ids = self._sparse.terms(word)
        return next(iter(ids)) if ids else None

    def found(self, word: str, keys: Keys) -> bool:
        stem = self.stem(word)
        return word[:_PREFIX] in keys.prefixes or (stem is not None and stem in keys.stems)

    def coverage(self, weights: dict[str, float], *texts: Keys) -> float:
        """Weighted share of the words found in any of ``texts``; 1.0 if none are wanted."""
        total = sum(weights.values())
        if not total:
            return 1.0
        hit = sum(w for word, w in weights.items() if any(self.found(word, k) for k in texts))
        return hit / total


def uniform(words: Iterable[str]) -> dict[str, float]:
    return dict.fromkeys(words, 1.0)
