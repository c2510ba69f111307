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

from assistant.query.contract import Passage, where
from assistant.query.prompts import Phrases
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
    """Up to ``limit`` sentences that answer the question best, the best first.

    ``weights`` (IDF of the question's words) make rare words count more than common
    ones; a sentence must carry at least ``min_overlap`` of the question's weight, its
    document's title and headings counting for half (half that again when it states the
    kind of fact the question asks for: the amount is often in the sentence after the
    one that names the fee). A sentence that only leads into the fact ("… ska betala en
    sanktionsavgift:", or the asked kind stated in the next sentence) brings that next
    sentence with it.
    """
    weights = weights or uniform(terms.words(question))
    if not weights:
        return []
    wants_number = bool(_WANTS_NUMBER.search(question))
    kinds = asked_kinds(question)
    asks_metadata = bool(_ASKS_METADATA.search(question))
    scored: list[Extract] = []
    following: dict[Extract, Extract] = {}
    texts = [strip_instructions(p.text) for p in passages]
    split = [sentences(t.replace(MARKER, "\n")) for t in texts]
    candidates = [
        (rank, i, sentence)
        for rank, parts in enumerate(split)
        for i, sentence in enumerate(parts)
        if (asks_metadata or not _METADATA_LINE.match(sentence))
        and (_METADATA_LINE.match(sentence) or len(sentence.split()) >= 4 or numbers(sentence))
    ]  # a short line without a number is a heading or a label, not an answer
    headings = [terms.keys(strip_instructions(f"{p.title} {p.heading or ''}")) for p in passages]
    for rank, i, sentence in candidates:
        parts, context = split[rank], headings[rank]
        own = terms.keys(sentence)
        overlap = terms.coverage(weights, own)
        overlap += 0.5 * (terms.coverage(weights, own, context) - overlap)
        stating = bool(kinds) and any(states(k, sentence) for k in kinds)
        if overlap < (min_overlap / 2 if stating else min_overlap):
            continue
        score = overlap + 0.15 / (rank + 1)
        if stating:
            score += 0.3  # it states the asked amount, period, date, …
        elif wants_number and numbers(sentence) and overlap >= 0.5:
            score += 0.2
        extract = Extract(sentence, rank + 1, score)
        scored.append(extract)
        after = parts[i + 1] if i + 1 < len(parts) else ""
        if after and (
            sentence.rstrip().endswith(":")
            or (kinds and not stating and any(states(k, after) for k in kinds))
        ):
            following[extract] = Extract(after, rank + 1, score)
    chosen: list[Extract] = []
    for extract in sorted(scored, key=lambda e: -e.score):
        if len(chosen) >= limit:
            break
        if any(extract.sentence == c.sentence for c in chosen):
            continue
        if chosen and extract.score < 0.6 * chosen[0].score:
            break
        chosen.append(extract)
        lead_on = following.get(extract)
        if lead_on and not any(lead_on.sentence == c.sentence for c in chosen):
            chosen.append(lead_on)
    return chosen


_QUOTATION = re.compile(r"”([^”]+)”")


def quotations(answer: str) -> list[str]:
    """The documents' sentences a quoted answer (``render``) holds, without its lead."""
    return _QUOTATION.findall(answer)


def render(extracts: Sequence[Extract], passages: Sequence[Passage], phrases: Phrases) -> str:
    """The quoted answer: where the best sentence stands, then the sentences in quotation
    marks, each with its marker ("Enligt Riktlinje, s. 3, Ansökan: ”…” [1] ”…” [2]")."""
    if not extracts:
        return ""
    lead = passages[extracts[0].n - 1]
    section = (lead.heading or "").split(" > ")[-1] or None
    name = lead.title or lead.file
    # A title read from an old scan ("BOVERKETS") says little: its designation says which
    # document it is ("BOVERKETS (BFS 1993:19)").
    designation = next((d for d in lead.record.designations if any(c.isdigit() for c in d)), "")
    series, _, number = designation.partition(" ")
    if number and number not in name:
        name = f"{name} ({series.upper()} {number})"
    source = where(name, [lead.page], section, page_word=phrases.page_abbreviation)
    quotes = " ".join(f"”{e.sentence.strip()}” [{e.n}]" for e in extracts)
    return f"{phrases.according_to.format(source=source)} {quotes}"
