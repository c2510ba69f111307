"""Which content words of a question (or a claim) a text contains.

Two keys match a word: Qdrant's Swedish BM25 stem, or a text word that begins with the
word's first letters (all but its last four, at least six). Snowball stems some
inflections apart ("löneutrymmet" and "löneutrymme"); the prefix joins them, while a
long compound ("direktupphandlingsgränsen") is not met by its first part alone; it is
met when the text holds both its head and its tail ("friskvårdskvitton": "friskvård…"
and "kvitton"). Stop words (spaCy's Swedish and English lists) and question phrasing
("hur mycket", "how long") never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS as _EN_STOP
from spacy.lang.sv.stop_words import STOP_WORDS as _SV_STOP

from assistant.text.sparse import SparseEncoder, inflections

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_PHRASING = frozenset(
    "stor stort storlek lång långt länge mycket många ofta snabbt gäller gälla finns "
    "sammanfatta sammanfattning kort beskriv förklara "
    "much many long often quickly soon summarize summarise summary briefly describe explain".split()
)
# Swedish and English function words (spaCy's lists): never content words.
STOP_WORDS = frozenset(_SV_STOP) | frozenset(_EN_STOP)
_STOP = STOP_WORDS | _PHRASING
_PREFIX = 6


@dataclass(frozen=True)
class Keys:
    """What a text offers for matching: BM25 stems and its words by their first letters."""

    stems: frozenset[int]
    words: dict[str, tuple[str, ...]]  # first six letters -> the text's words

    def starts_with(self, prefix: str) -> bool:
        if len(prefix) < _PREFIX:
            return any(k.startswith(prefix) for k in self.words)
        return any(w.startswith(prefix) for w in self.words.get(prefix[:_PREFIX], ()))


class TermMatcher:
    def __init__(self, sparse: SparseEncoder | None = None) -> None:
        self._sparse = sparse or SparseEncoder(compounds=False)  # terms() needs no parts

    def words(self, text: str) -> list[str]:
        """Content words, lower-cased, in order, without repeats (BM25's stop words out too)."""
        seen = dict.fromkeys(w for w in _WORD.findall(text.lower()) if w not in _STOP)
        return [w for w in seen if self.stem(w) is not None]

    def keys(self, text: str) -> Keys:
        by_start: dict[str, set[str]] = {}
        for word in _WORD.findall(text.lower()):
            by_start.setdefault(word[:_PREFIX], set()).add(word)
        return Keys(self._sparse.terms(text), {k: tuple(v) for k, v in by_start.items()})

    def stem(self, word: str) -> int | None:
        ids = self._sparse.terms(word)
        return next(iter(ids)) if ids else None

    def found(self, word: str, keys: Keys) -> bool:
        stem = self.stem(word)
        if stem is not None and stem in keys.stems:
            return True
        if any(self.stem(form) in keys.stems for form in inflections(word)):
            return True  # "veckan" in "två dagar per vecka"
        if keys.starts_with(word[: max(_PREFIX, len(word) - 4)]):
            return True
        return len(word) >= 2 * _PREFIX and self._compound_found(word, keys)

    @staticmethod
    def _compound_found(word: str, keys: Keys) -> bool:
        """Head and tail of a compound both in the text (a crude split, no dictionary)."""
        if not keys.starts_with(word[:_PREFIX]):
            return False
        for cut in range(_PREFIX, len(word) - 4):
            tail = word[cut:]
            if tail.startswith("s") and len(tail) > 5:
                tail = tail[1:]  # the linking s: friskvård-s-kvitton
            if keys.starts_with(tail[: max(5, len(tail) - 3)]):
                return True
        return False

    def coverage(self, weights: dict[str, float], *texts: Keys) -> float:
        """Weighted share of the words found in any of ``texts``; 1.0 if none are wanted."""
        total = sum(weights.values())
        if not total:
            return 1.0
        hit = sum(w for word, w in weights.items() if any(self.found(word, k) for k in texts))
        return hit / total


def uniform(words: Iterable[str]) -> dict[str, float]:
    return dict.fromkeys(words, 1.0)
