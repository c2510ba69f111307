"""Managers' drafts: whole documents summarised part by part, every sentence cited.

Map, then reduce (``draft``). A document is cut into parts along its headings
(``parts``); the model writes a short note on each part, checked like an answer; a short
summary of more than two parts then condenses the checked notes. A document longer than
the time budget (``summary.max_parts``) keeps its opening and parts spread over the rest
(or its most central ones, by a setting), and the draft says which stretches were left
out. Without a model (none configured, or it fails) the draft quotes each part's most
telling sentences instead, with a notice.

Kinds: ``summary`` (short or long), ``key-points``, ``staff`` (obligations, deadlines,
amounts and who decides, as a table) and ``changes`` (two versions of a document, what
was added and removed, compared sentence by sentence: ``changes``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError
from assistant.query.citations import CitationChecker
from assistant.query.context import quoted
from assistant.settings import Settings
from assistant.summary.contract import KINDS, Audience, Kind, Length, Progress, Section, Summary
from assistant.summary.draft import Draft, Tools
from assistant.summary.library import Library
from assistant.text.terms import TermMatcher

if TYPE_CHECKING:
    from assistant.models.chat import ChatModel
    from assistant.models.embeddings import EmbeddingModel


class Summarizer:
    def __init__(
        self,
        settings: Settings,
        library: Library,
        terms: TermMatcher,
        chat: ChatModel | None,
        embedder: EmbeddingModel | None = None,
    ) -> None:
        self._library = library
        self._chat = chat
        self._tools = Tools(
            config=settings.summary,
            temperature=settings.model.temperature,
            checker=CitationChecker(terms, settings.answer.min_claim_support),
            terms=terms,
            embedder=embedder,
        )

    def summarize(
        self,
        names: Sequence[str],
        groups: Sequence[str],
        kind: Kind = "summary",
        **options: Any,
    ) -> Summary:
        for item in self.stream(names, groups, kind, **options):
            if isinstance(item, Summary):
                return item
        raise AssertionError("stream ended without a summary")  # pragma: no cover

    def stream(
        self,
        names: Sequence[str],
        groups: Sequence[str],
        kind: Kind = "summary",
        audience: Audience = "staff",
        length: Length = "short",
        use_model: bool = True,
    ) -> Iterator[Progress | Section | Summary]:
        """Progress, then each drafted section as it is ready, then the checked ``Summary``."""
        t0 = time.perf_counter()
        if kind not in KINDS:
            raise InputError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        docs = self._library.find(names, groups)
        if not docs:
            raise InputError("name at least one document")
        if kind == "changes" and len(docs) != 2:
            raise InputError("'changes' compares two versions: name the older and the newer")
        # What reads like an instruction to a model is left out of the notes and quotes too.
        texts = {d.doc_id: quoted(self._library.passages(d, groups)) for d in docs}
        timings: dict[str, float] = {"read": _ms(t0)}
        chat = self._chat if use_model else None
        draft = Draft(self._tools, docs, texts, kind, audience, length, chat, timings, t0)
        yield from draft.run()


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
