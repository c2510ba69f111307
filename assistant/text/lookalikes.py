"""Text as a reader sees it, for matching: what hides a word from a pattern is undone.

A zero-width space inside "Ignorera", a Cyrillic "о" in "instructions" or fullwidth
letters look like the plain word on screen but match no pattern written for it. ``fold``
returns a copy with compatibility forms unified (NFKC), invisible characters dropped and
Cyrillic and Greek letters that look like Latin ones replaced by them, together with the
offset in the original of each character, so a span found in the copy can be cut out of
the original text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Letters drawn like Latin ones (Unicode's confusables, the common part).
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
        "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ɡ": "g",
        "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
        "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ї": "I",
        "Ј": "J", "Һ": "H", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "I",
        # Greek
        "α": "a", "ο": "o", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x", "γ": "y", "ϲ": "c", "ϳ": "j",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
    }
)  # fmt: skip
# Characters that change nothing a reader sees: zero-width spaces and joiners, the soft
# hyphen, direction marks, word joiners, the byte order mark, variation selectors, tags.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)
# Text made only of these needs no folding (Latin-1 letters, typographic punctuation).
_PLAIN = re.compile("[\x00-\x7f\u00a0-\u00ac\u00ae-\u00ff\u2010-\u2027\u2030-\u205e]*")


@dataclass(frozen=True)
class Folded:
    """``text`` folded for matching; ``text[i]`` came from ``original[starts[i]:ends[i]]``."""

    text: str
    starts: tuple[int, ...] | None  # None: the same as the original
    ends: tuple[int, ...] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]`` (``start < end``)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def fold(text: str) -> Folded:
    """``text`` with look-alike letters, compatibility forms and invisible characters undone."""
    if _PLAIN.fullmatch(text):
        return Folded(text, None, None)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1  # a letter and its combining marks fold together
        cluster = _INVISIBLE.sub("", text[i:j])
        if cluster:
            folded = unicodedata.normalize("NFKC", cluster).translate(_LOOKALIKES)
            out.append(folded)
            starts += [i] * len(folded)
            ends += [j] * len(folded)
        i = j
    return Folded("".join(out), tuple(starts), tuple(ends))
