"""Text cleaning shared by every format, and repeated page header/footer detection."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

# Private-use area (Symbol-font bullets come out as U+F0B7), noncharacters (pdfium marks a
# hyphen it removed at a line end with U+FFFE), soft hyphens, zero-width characters and
# C0/C1 controls other than tab and newline.
_DROP = re.compile(
    "[\ue000-\uf8ff\ufffe\uffff\u00ad\u200b\u200c\u200d\u2060\ufeff"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TRAILING = re.compile(r" +\n|\n +")
_MANY_BREAKS = re.compile(r"\n{3,}")
# "för-\nskola" -> "förskola": lowercase letter, hyphen, line break, lowercase letter.
# "IT-\nsäkerhet" keeps its hyphen (uppercase before), as does "och\n-" style dashes.
_HYPHEN_BREAK = re.compile(r"(?<=[a-zåäöéüø])-\n(?=[a-zåäöéüø])")
_DIGITS = re.compile(r"\d+")
# pdfium marks a line-end hyphen it removed with U+FFFE; after a capital or digit it was a
# real hyphen ("IT-säkerhet", "EU-rätten"), elsewhere a word broken across lines.
_MARKED_HYPHEN_KEPT = re.compile(r"(?<=[A-ZÅÄÖ0-9])\ufffe")


def clean_text(text: str) -> str:
    """Normalise one piece of extracted text; paragraph breaks (blank lines) are kept."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _MARKED_HYPHEN_KEPT.sub("-", text)
    text = _DROP.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _TRAILING.sub("\n", text)
    text = _HYPHEN_BREAK.sub("", text)
    text = _MANY_BREAKS.sub("\n\n", text)
    return text.strip()


def clean_inline(text: str) -> str:
    """Clean text and fold it onto one line (titles, table cells, header fields)."""
    return " ".join(clean_text(text).split())


def _edge_key(line: str) -> str:
    """Lines that differ only by page number (or case, spacing) share a key."""
    return " ".join(_DIGITS.sub("#", line.lower()).split())


def repeated_edge_lines(
    pages: Sequence[Sequence[str]], edge: int = 3, share: float = 0.4
) -> list[set[int]]:
    """Indices of running header/footer lines on each page, to be dropped.

    A line counts when it stands among the first or last ``edge`` non-blank lines of a
    page and the same line (digits ignored, so "Sida 3 av 9" and "Sida 4 av 9" match)
    stands there on at least ``share`` of the pages (and on at least three). A bare page
    number at the edge of a page is dropped as well once it recurs like that.
    """
    drop: list[set[int]] = [set() for _ in pages]
    if len(pages) < 3:
        return drop
    edges: list[list[tuple[int, str]]] = []
    counts: Counter[str] = Counter()
    for lines in pages:
        filled = [(i, line.strip()) for i, line in enumerate(lines) if line.strip()]
        at_edge = filled[:edge] + filled[-edge:] if len(filled) > 2 * edge else filled
        keyed = [(i, _edge_key(text)) for i, text in at_edge if len(text) <= 100]
        edges.append(keyed)
        counts.update({key for _, key in keyed})
    needed = max(3, int(share * len(pages) + 0.999))
    for page_no, keyed in enumerate(edges):
        for index, key in keyed:
            if counts[key] >= needed:
                drop[page_no].add(index)
    return drop
