"""What a model or an extractive answer reads of the passages found: the best ones that
fit the prompt's token budget, screened for instructions to a model, and (for the model)
each cut down to the sentences that answer the question best.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from llama_index.core.utils import get_tokenizer

from assistant.query.contract import Passage
from assistant.settings import RetrievalSettings
from assistant.text.answer_type import AnswerKind, asked_kinds, states
from assistant.text.injection import MARKER, strip_instructions
from assistant.text.sentences import sentences
from assistant.text.terms import TermMatcher, uniform


def select(
    ranked: Sequence[Passage],
    widened: Callable[[Passage], Passage],
    settings: RetrievalSettings,
) -> list[Passage]:
    """The best passages, each ``widened`` with its neighbours, that fit the token budget
    of the prompt, without sentences that read like instructions to a model (``quoted``)."""
    budget = settings.context_tokens
    chosen: list[Passage] = []
    used = 0
    for p in ranked[: settings.context_passages]:
        p = widened(p)
        cost = p.tokens
        if chosen and used + cost > budget:
            break
        chosen.append(p)
        used += cost
    return quoted(chosen)


def focused(
    context: list[Passage],
    question: str,
    weights: dict[str, float],
    terms: TermMatcher,
    budgets: Sequence[int],
) -> list[Passage]:
    """What the model reads: the first passages, each cut down to its sentences that
    answer the question best, with their neighbours (``answer.focus_tokens``, a budget
    per rank); the numbering stays the same. ``weights``: of the question's words (IDF),
    all alike when empty."""
    if not budgets:
        return context
    weights = weights or uniform(terms.words(question))
    kinds = asked_kinds(question)
    count = get_tokenizer()
    out = []
    for p, budget in zip(context, budgets, strict=False):
        if not budget or p.tokens <= budget:
            out.append(p)
            continue
        parts = sentences(p.text)
        # A sentence stating the kind of fact asked for (an amount, a period, a date) is
        # read first, as the quote puts it first: it often shares few of the question's
        # words ("inom tre veckor" for "hur lång tid har man på sig").
        scores = [
            terms.coverage(weights, terms.keys(t)) + (0.3 if _states(kinds, t) else 0.0)
            for t in parts
        ]
        sizes = [len(count(t)) for t in parts]
        keep: set[int] = set()
        used = 0
        for i in sorted(range(len(parts)), key=lambda i: (-scores[i], i)):
            for j in (i, i - 1, i + 1):  # the sentence, then what leads to and follows it
                if 0 <= j < len(parts) and j not in keep and used + sizes[j] <= budget:
                    keep.add(j)
                    used += sizes[j]
            if used >= budget:
                break
        if not keep:
            keep = {max(range(len(parts)), key=lambda i: scores[i])}
        text = _stretches(parts, sorted(keep))
        out.append(replace(p, text=text, tokens=len(count(text))))
    return out


def quoted(passages: Sequence[Passage]) -> list[Passage]:
    """The passages as a model or an extractive answer may read them: each instruction to
    a model (``assistant.text.injection``) in the text, title or heading replaced by a
    marker.

    Every passage is screened, not only those whose record lists such sentences: a widened
    passage carries its neighbours' text, and records indexed before the screening have
    no list. What it finds stays out of the answer, the citation check and the quotes
    alike; the answer's source says that something was left out.
    """
    return [_screened(p) for p in passages]


def _screened(p: Passage) -> Passage:
    # A chunk as stored is read under its heading; a widened one was, chunk by chunk.
    path = p.record.heading_path
    under = path[-1] if path and p.text == p.record.text else ""
    text, title = strip_instructions(p.text, under), strip_instructions(p.title)
    heading = " > ".join(_label(part) for part in p.heading.split(" > ")) if p.heading else None
    if (text, title, heading) == (p.text, p.title, p.heading):
        return p
    return replace(p, text=text, title=title, heading=heading)


def _label(heading: str) -> str:
    """A heading, or the marker when it speaks to a model ("Till språkmodellen")."""
    if strip_instructions(heading.rstrip(".:;") + ":") != heading.rstrip(".:;") + ":":
        return MARKER
    return heading


def _states(kinds: frozenset[AnswerKind], text: str) -> bool:
    return any(states(k, text) for k in kinds)


def _stretches(parts: list[str], kept: list[int]) -> str:
    """The kept sentences in order, '…' where sentences were left out between them."""
    out: list[str] = []
    for k, i in enumerate(kept):
        if (k == 0 and i > 0) or (k > 0 and i != kept[k - 1] + 1):
            out.append("…")
        out.append(parts[i])
    if kept and kept[-1] < len(parts) - 1:
        out.append("…")
    return " ".join(out)
