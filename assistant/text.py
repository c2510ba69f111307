"""Small text helpers shared by answering and citation checking."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”)]?\s+(?=[\"“(\[]?[A-ZÅÄÖ0-9])|\n+")
_NUMBER = re.compile(r"\d[\d\s.,:]*\d|\d")


def sentences(text: str) -> list[str]:
    """Split into sentences (and lines: table rows and list items stand alone)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def numbers(text: str) -> set[str]:
    """The numbers a text states, normalised ("3 000 kr" and "3000" are the same)."""
    found = set()
    for raw in _NUMBER.findall(text):
        digits = re.sub(r"[\s.]", "", raw).rstrip(",:")
        if digits:
            found.add(digits)
    return found
