"""Answers built from the documents' own sentences: no model, nothing invented.

Used as a mode of its own and as the fallback when the model is unavailable or its
answer cannot be verified. Sentences are scored by how many of the question's content
words they contain, with a nudge for higher-ranked passages and for a sentence that
states the kind of fact the question asks for (an amount, a period, a date, …;
``assistant.text.answer_type``), or any number when the question asks "när" or "hur".
A passage is read screened (``assistant.text.injection``): a sentence telling a model what
to say is never quoted as an answer, even from a passage that comes here unscreened.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.query.contract import Passage
from assistant.text.answer_type import asked_kinds, states
from assistant.text.injection import MARKER, strip_instructions
from assistant.text.sentences import numbers, sentences
from assistant.text.terms import TermMatcher, uniform

_WANTS_NUMBER = re.compile(
    r"\b(hur (mycket|många|länge|stor|lång)|när|vilket (nummer|datum)|belopp|kostar|"
    r"how (much|many|long)|when|deadline|what number)\b",
    re.I,
)


# Header lines of municipal documents: quoted only when the question asks for them.
_METADATA_LINE = re.compile(
    r"^(dokumenttyp|beslutad av|beslutsdatum|diarienummer|gäller till|ersätter|ersatt av)\s*:",
    re.I,
)
_ASKS_METADATA = re.compile(
    r"beslut|diarienummer|dnr|gäller|giltig|ersätt|ersatt|decided|valid|supersed", re.I
)
_MIN_OVERLAP = 0.35


@dataclass(frozen=True)
class Extract:
    sentence: str
    n: int  # passage number, 1-based
    score: float


def best_sentences(
    question: str,
    passages: Sequence[Passage],
    terms: TermMatcher,
    limit: int,
    weights: dict[str, float] | None = None,
    min_overlap: float = _MIN_OVERLAP,
) -> list[Extract]:
    """Up to ``limit`` sentences that answer the question best, in document order.

    ``weights`` (IDF of the question's words) make rare words count more than common
    ones; a sentence must carry at least ``min_overlap`` of the question's weight, its
    document's title and headings counting for half.
    """
    weights = weights or uniform(terms.words(question))
    if not weights:
        return []
    wants_number = bool(_WANTS_NUMBER.search(question))
    kinds = asked_kinds(question)
    asks_metadata = bool(_ASKS_METADATA.search(question))
    scored: list[Extract] = []
    texts = [strip_instructions(p.text) for p in passages]
    for rank, passage in enumerate(passages):
        context = terms.keys(strip_instructions(f"{passage.title} {passage.heading or ''}"))
        for sentence in sentences(texts[rank].replace(MARKER, "\n")):
            if _METADATA_LINE.match(sentence):
                if not asks_metadata:
                    continue
            elif len(sentence.split()) < 4 and not numbers(sentence):
                continue  # a heading or a label, not an answer
            own = terms.keys(sentence)
            overlap = terms.coverage(weights, own)
            overlap += 0.5 * (terms.coverage(weights, own, context) - overlap)
            if overlap < min_overlap:
                continue
            score = overlap + 0.15 / (rank + 1)
            if kinds and any(states(k, sentence) for k in kinds):
                score += 0.2  # it states the asked amount, period, date, …
            elif wants_number and numbers(sentence) and overlap >= 0.5:
                score += 0.2
            scored.append(Extract(sentence, rank + 1, score))
    chosen: list[Extract] = []
    for extract in sorted(scored, key=lambda e: -e.score):
        if len(chosen) == limit:
            break
        if any(extract.sentence == c.sentence for c in chosen):
            continue
        if chosen and extract.score < 0.6 * chosen[0].score:
            break
        chosen.append(extract)
    return sorted(chosen, key=lambda e: (e.n, texts[e.n - 1].find(e.sentence)))


def render(extracts: Sequence[Extract]) -> str:
    return " ".join(f"{e.sentence.rstrip()} [{e.n}]" for e in extracts)
