"""A document cut into the parts a model reads at once, and the parts a draft keeps when
the document is longer than its time budget.

Parts follow the document's headings (at most ``summary.part_tokens`` each; a long
document opens with a part of half the size, so the first note comes soon). Past
``summary.max_parts`` a draft keeps the opening and parts spread over the rest, or the
most central ones (``summary.selection``); the parts left out are told as stretches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.query.contract import Passage, where
from assistant.summary.library import DocumentInfo

if TYPE_CHECKING:
    from assistant.models.embeddings import EmbeddingModel


@dataclass(frozen=True)
class Part:
    """A stretch of one document the model reads at once."""

    doc: DocumentInfo
    passages: list[Passage]
    heading: str

    @property
    def tokens(self) -> int:
        return sum(p.tokens for p in self.passages)

    @property
    def where(self) -> str:
        return where(self.doc.file, sorted({p.page for p in self.passages if p.page}), self.heading)


def parts(doc: DocumentInfo, passages: list[Passage], part_tokens: int) -> list[Part]:
    """Consecutive passages under the same top heading, at most ``part_tokens`` each."""
    budget = part_tokens
    # A long document opens with a short part, so that its first note comes soon.
    opening = budget // 2 if sum(p.tokens for p in passages) > 2 * budget else budget
    # A document whose one top heading is its title is cut along the level below it.
    tops = {p.record.heading_path[:1] for p in passages if p.record.heading_path}
    level = 1 if len(tops) == 1 else 0
    cut: list[Part] = []
    current: list[Passage] = []
    heading = ""
    for p in passages:
        path = p.record.heading_path
        top = path[level] if len(path) > level else (path[0] if path else "")
        size = sum(q.tokens for q in current)
        limit = budget if cut else opening
        if current and (top != heading or size + p.tokens > limit):
            cut.append(Part(doc, current, heading))
            current = []
        if not current:
            heading = top
        current.append(p)
    if current:
        cut.append(Part(doc, current, heading))
    return _merge_small(cut, budget, opening)


def within_budget(
    parts: list[Part], limit: int, selection: str, embedder: EmbeddingModel | None
) -> tuple[list[Part], list[Part]]:
    """The parts a draft keeps (at most ``limit``: the opening, then the first, evenly
    spread or most central ones, as ``selection`` says) and those it leaves out."""
    if len(parts) <= limit:
        return parts, []
    if selection == "first":
        chosen = set(range(limit))
    elif selection == "even" or embedder is None:
        step = len(parts) / limit
        chosen = {int(i * step) for i in range(limit)}
    else:
        chosen = _central(parts, limit, embedder)
    chosen.add(0)  # the opening says what the document is
    while len(chosen) > limit:
        chosen.remove(max(chosen - {0}))
    kept = [p for i, p in enumerate(parts) if i in chosen]
    return kept, [p for i, p in enumerate(parts) if i not in chosen]


def stretches(parts: list[Part], dropped: list[Part]) -> list[Part]:
    """Neighbouring dropped parts of one document as one stretch, to say them briefly."""
    out: list[Part] = []
    previous = -2
    for part in dropped:
        i = parts.index(part)
        if out and i == previous + 1 and out[-1].doc == part.doc:
            out[-1] = Part(part.doc, [*out[-1].passages, *part.passages], "")
        else:
            out.append(Part(part.doc, list(part.passages), part.heading))
        previous = i
    return out


def _merge_small(parts: list[Part], budget: int, opening: int) -> list[Part]:
    """Neighbouring sections of one document share a part while they fit (fewer calls)."""
    merged: list[Part] = []
    for part in parts:
        last = merged[-1] if merged else None
        limit = budget if len(merged) > 1 else opening
        if last and last.doc == part.doc and last.tokens + part.tokens <= limit:
            names = [h for h in dict.fromkeys((*last.heading.split(" · "), part.heading)) if h]
            heading = " · ".join(names)
            merged[-1] = Part(part.doc, [*last.passages, *part.passages], heading)
        else:
            merged.append(part)
    return merged


def _central(parts: list[Part], limit: int, embedder: EmbeddingModel) -> set[int]:
    """The parts closest to the document's centre of meaning (mean of part embeddings)."""
    texts = [" ".join(p.text for p in part.passages) for part in parts]
    vectors = embedder.get_text_embedding_batch(texts)
    dims = len(vectors[0])
    centre = [sum(v[i] for v in vectors) / len(vectors) for i in range(dims)]
    scores = [_cosine(v, centre) for v in vectors]
    return set(sorted(range(len(parts)), key=lambda i: -scores[i])[:limit])


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
