"""Small text helpers shared by answering and citation checking."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”)]?\s+(?=[\"“(\[]?[A-ZÅÄÖ0-9])|\n+")
_NUMBER = re.compile(r"\d[\d\s.,:]*\d|\d")
# A citation of numbered passages in an answer: "[2]", "[1, 3]", "[1; 2]".
CITATION_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


_ABBREVIATION = re.compile(
    r"(?:\b(?:s|sid|kl|kap|prop|dir|ca|nr|jfr|resp|bl\.a|t\.ex|t\.o\.m|fr\.o\.m|m\.m|p|pp|"
    r"e\.g|i\.e|no|art)\.)$",
    re.I,
)


def sentences(text: str) -> list[str]:
    """Split into sentences (and lines: table rows and list items stand alone).

    A split after an abbreviation ("s. 3", "kl. 08.00", "t.ex. Skatteverket") is undone.
    """
    parts: list[str] = []
    for piece in (p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()):
        if parts and _ABBREVIATION.search(parts[-1]) and "\n" not in piece:
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts


def numbers(text: str) -> set[str]:
    """The numbers a text states, normalised ("3 000 kr" and "3000" are the same)."""
    found = set()
    for raw in _NUMBER.findall(text):
        digits = re.sub(r"[\s.]", "", raw).rstrip(",:")
        if digits:
            found.add(digits)
    return found
