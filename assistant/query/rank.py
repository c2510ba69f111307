"""The order of the passages a search found: documents in force before those that are
not, the documents and sections a question names first, and no passage that repeats the
text of one ranked before it (versions of one regulation, copies), so they do not crowd
out the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from assistant.query.contract import Passage
from assistant.query.versions import names
from assistant.text.designations import asked_sections, designations

# Two passages are near-duplicates when this share of the shorter one's word 4-grams
# is also in the other.
_DUPLICATE_OVERLAP = 0.8
_SHINGLE = 4
# A passage not in force goes below a passage in force that is nearly as similar to the
# question: within this much cosine for an expired document (often a late revision), and
# within more for a superseded one (its successor says what applies now).
_EXPIRED_MARGIN = 0.02
_SUPERSEDED_MARGIN = 0.05
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


@dataclass(frozen=True)
class Asked:
    """The documents and sections a question names: "5 kap. 3 § KL", "BFS 1992:46"."""

    documents: frozenset[str]
    sections: frozenset[str]

    @classmethod
    def of(cls, question: str) -> Asked:
        return cls(frozenset(designations(question)), frozenset(asked_sections(question)))

    def matches(self) -> list[dict[str, list[str]]]:
        """Store filters for the named section of the named documents, then for the rest
        of those documents; none when the question names no document."""
        if not self.documents:
            return []
        document = {"designations": sorted(self.documents)}
        section = [{**document, "sections": sorted(self.sections)}] if self.sections else []
        return [*section, document]

    def document_of(self, p: Passage) -> bool:
        return bool(self.documents & set(p.record.designations))

    def section_of(self, p: Passage) -> bool:
        return self.document_of(p) and bool(self.sections & set(p.record.sections))


def in_force_first(
    passages: Sequence[Passage], question: str = "", today: date | None = None
) -> list[Passage]:
    """Rank order that prefers documents in force, without hiding one that is not.

    A superseded document goes after everything in force when the document that replaced
    it is among the passages; otherwise below a passage in force after it that is nearly
    as similar to the question (within 0.05 cosine). A document past its valid-until date
    (often only a late revision) goes below one within 0.02. A passage clearly the best
    match keeps its place, marked as not in force: it may be the only one with the
    answer. A question naming a document by its designation, or a year in its title
    ("friskvårdsbidraget 2023"), asks for that document, in force or not. Equal scores
    keep a fixed order, so a question gets the same passages every time.
    """
    today = today or date.today()
    named = Asked.of(question)
    asked = set(_YEAR.findall(question))
    ranked = sorted(passages, key=lambda p: (-p.score, p.chunk_id))
    state = {
        p.chunk_id: None
        if asked & set(_YEAR.findall(p.title)) or named.document_of(p)
        else p.validity(today)
        for p in ranked
    }
    # A superseded document whose successor is among the passages says nothing that
    # applies now that the successor does not: it goes after everything in force.
    replaced = {
        p.chunk_id
        for p in ranked
        if state[p.chunk_id] == "superseded"
        and any(state[q.chunk_id] is None and _replaces(q, p) for q in ranked)
    }
    moved = True
    while moved:
        moved = False
        for i in range(len(ranked) - 1):
            a, b = ranked[i], ranked[i + 1]
            margin = _SUPERSEDED_MARGIN if state[a.chunk_id] == "superseded" else _EXPIRED_MARGIN
            if (
                state[a.chunk_id] is not None
                and state[b.chunk_id] is None
                and b.similarity >= a.similarity - margin
            ):
                ranked[i], ranked[i + 1] = b, a
                moved = True
    # A document the question names by its designation goes first, the section it names
    # before its other passages; what was replaced last.
    return sorted(
        ranked,
        key=lambda p: (
            bool(named.documents) and not named.document_of(p),
            bool(named.sections) and not named.section_of(p),
            p.chunk_id in replaced,
        ),
    )


def _replaces(new: Passage, old: Passage) -> bool:
    """Whether ``new`` is of the document ``old`` says replaced it ("Ersatt av: …")."""
    return names(old.record.superseded_by, new.title, new.record.designations)


def distinct(passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` without those that repeat the text of one ranked before them."""
    kept: list[tuple[Passage, frozenset[tuple[str, ...]]]] = []
    for p in passages:
        shingles = _shingles(p.text)
        if not any(_overlap(shingles, other) >= _DUPLICATE_OVERLAP for _, other in kept):
            kept.append((p, shingles))
    return [p for p, _ in kept]


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return frozenset(tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))


def _overlap(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller >= _SHINGLE else 0.0
