"""What changed between two versions of a document: their sentences compared in order,
what the newer one adds or rewords and what the older one had that is gone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from assistant.query.contract import Passage
from assistant.summary.contract import Length, Section
from assistant.summary.library import DocumentInfo
from assistant.text.sentences import numbers, sentences


@dataclass(frozen=True)
class Change:
    """A sentence the newer version adds (``added``) or the older one had."""

    added: bool
    sentence: str
    passage: Passage


def older_first(docs: Sequence[DocumentInfo]) -> tuple[DocumentInfo, DocumentInfo]:
    """The two versions, older first: a superseded version before the one in force, then
    by decision date."""
    old, new = sorted(docs, key=_age)
    return old, new


def changes(before: Sequence[Passage], after: Sequence[Passage]) -> Iterator[Change]:
    """The sentences worth telling that one version has and the other does not, in the
    order the comparison meets them (for each stretch, what went before what came)."""
    old = [(s, p) for p in before for s in sentences(_unwrap(p.text))]
    new = [(s, p) for p in after for s in sentences(_unwrap(p.text))]
    matcher = difflib.SequenceMatcher(
        a=[_norm(s) for s, _ in old], b=[_norm(s) for s, _ in new], autojunk=False
    )
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            yield from (Change(False, s, p) for s, p in old[a0:a1] if _worth(s))
        if op in ("insert", "replace"):
            yield from (Change(True, s, p) for s, p in new[b0:b1] if _worth(s))


def change_sections(
    old: DocumentInfo, new: DocumentInfo, added: list[str], removed: list[str], length: Length
) -> list[Section]:
    """The cited lines of what was added and removed, as two sections (a short draft shows
    fewer of them and says how many more there are)."""
    sections = []
    limit = 12 if length == "short" else 40
    for heading, lines in (
        (f"Nytt eller ändrat i {new.file}", added),
        (f"Borttaget ur {old.file}", removed),
    ):
        shown = lines[:limit]
        if len(lines) > limit:
            shown.append(f"… och {len(lines) - limit} meningar till.")
        sections.append(Section(heading, "\n".join(f"- {s}" for s in shown) or "- Inga."))
    return sections


def _age(doc: DocumentInfo) -> tuple[int, str]:
    """Older first: a superseded version before the one in force, then by decision date."""
    return (0 if doc.superseded else 1, doc.decision_date or "")


def _unwrap(text: str) -> str:
    """Lines broken inside a paragraph joined again, so sentences compare whole."""
    return re.sub(r"(?<=\S)[ \t]*\n(?![ \t]*(\n|[-•*]|\d+[.)]|[A-ZÅÄÖ][^\n]{0,60}:))", " ", text)


def _norm(sentence: str) -> str:
    return " ".join(sentence.lower().split())


def _worth(sentence: str) -> bool:
    return len(sentence.split()) >= 4 or bool(numbers(sentence))
