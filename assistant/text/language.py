"""Swedish or English? A small, deterministic guess from function words.

Documents and questions here are Swedish or English; a stop-word vote is fast, needs no
model, and is right on anything longer than a few words. Short or unclear text counts
as Swedish, the customer's main language.
"""

from __future__ import annotations

import re

_SV = frozenset(
    "och att det som en på är av för med till den inte om har de ett var jag men så från "
    "vid när kan ska får eller under efter hur vad vilka vilken detta dessa enligt också "
    "samt mot inom skall måste bör sig sin sina hos där då".split()
)
_EN = frozenset(
    "the and of to in is that for it as with was on be by this are or from at an which "
    "have has not but what all were when can will if their there been would should must "
    "who how may any these those such".split()
)
_WORD = re.compile(r"[a-zåäöéü]+")


def detect_language(text: str) -> str:
    """'sv' or 'en'."""
    words = _WORD.findall(text.lower()[:4000])
    sv = sum(w in _SV for w in words) + 2 * sum(ch in "åäö" for ch in "".join(words[:400])) / 10
    en = sum(w in _EN for w in words)
    return "en" if en > sv else "sv"
