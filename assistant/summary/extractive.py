"""Notes without a model: the sentences of a part that tell most about it, quoted as
they stand, or (for staff) the sentences that state an obligation, a deadline, an amount
or who decides, as table rows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.query.contract import Passage
from assistant.text.sentences import numbers, sentences
from assistant.text.terms import TermMatcher

# What makes a sentence matter to staff: an obligation, a deadline, an amount, a decider.
_STAFF_CUE = re.compile(
    r"\b(ska|skall|måste|får inte|senast|kronor|kr\b|procent|beslutar|beslut|ansvarar|"
    r"ansvarig|anmäl|ansök|tidsfrist|inom \d+)",
    re.IGNORECASE,
)
_DECIDER = re.compile(
    r"\b((?:[A-ZÅÄÖ][\wåäö-]*\s)?(?:nämnd\w*|styrelse\w*|chef\w*|fullmäktige|"
    r"kommunstyrelsen|förvaltning\w*|arbetsgivare\w*|rektor\w*|handläggare\w*))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Row:
    """A sentence for staff: what applies, who decides, when or how much."""

    passage: Passage
    sentence: str
    cells: tuple[str, str, str]


def telling(passages: Sequence[Passage], terms: TermMatcher, limit: int) -> list[tuple[int, str]]:
    """Up to ``limit`` of the part's most telling sentences, in document order, each
    with the index of its passage."""
    weights = _salience(passages, terms)
    scored: list[tuple[float, int, int, str]] = []
    for i, passage in enumerate(passages):
        for j, sentence in enumerate(sentences(passage.text)):
            if len(sentence.split()) < 6:
                continue  # headings, labels, list stubs
            keys = terms.keys(sentence)
            score = terms.coverage(weights, keys) / math.sqrt(len(sentence.split()))
            score += 0.05 * bool(numbers(sentence))
            scored.append((score, i, j, sentence))
    best = sorted(sorted(scored, reverse=True)[:limit], key=lambda s: (s[1], s[2]))
    return [(i, sentence) for _, i, _, sentence in best]


def staff_rows(passages: Sequence[Passage], limit: int) -> list[Row]:
    """Up to ``limit`` sentences for staff, in document order."""
    rows: list[Row] = []
    for passage in passages:
        for sentence in sentences(passage.text):
            if len(sentence.split()) < 5 or not _STAFF_CUE.search(sentence):
                continue
            who = _DECIDER.search(sentence)
            when = ", ".join(sorted(numbers(sentence))[:3])
            cells = (sentence.replace("|", "/"), who.group(1) if who else "", when)
            rows.append(Row(passage, sentence, cells))
            if len(rows) >= limit:
                return rows
    return rows


def _salience(passages: Sequence[Passage], terms: TermMatcher) -> dict[str, float]:
    """The part's characteristic words: frequent in it, weighted by how often they recur."""
    counts: Counter[str] = Counter()
    for p in passages:
        for sentence in sentences(p.text):
            counts.update(terms.words(sentence))
    return {w: float(c) for w, c in counts.most_common(40) if c > 1} or dict.fromkeys(counts, 1.0)
