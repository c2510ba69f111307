"""Question in, cited answer out: rewrite → retrieve → decide support → answer → check
citations.

``Assistant.stream`` yields the model's text as it arrives and ends with the checked
``Answer``; ``Assistant.ask`` returns just the ``Answer``. Both the app and the CLI use it.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.utils import get_tokenizer

from assistant.errors import LineFull, ModelError
from assistant.query.citations import CitationChecker, Claim
from assistant.query.context import focused, select
from assistant.query.contract import (
    Answer,
    Mode,
    Passage,
    Queued,
    Source,
    Sources,
    WhenFull,
    where,
)
from assistant.query.extractive import best_sentences, quotations, render
from assistant.query.gate import Gate
from assistant.query.prompts import excerpt, load_phrases, load_prompt, refusal_markers
from assistant.query.retrieve import Retrieval, Retriever
from assistant.query.rewrite import Rewriter
from assistant.settings import Settings
from assistant.text.answer_type import asked_kinds, states
from assistant.text.language import detect_language
from assistant.text.personal import PLACEHOLDER, mask_personal_numbers
from assistant.text.sparse import SparseEncoder
from assistant.text.terms import TermMatcher

if TYPE_CHECKING:
    from assistant.models.chat import ChatModel


class Assistant:
    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        chat: ChatModel | None,
        sparse: SparseEncoder | None = None,
        gate: Gate | None = None,
    ) -> None:
        self._settings = settings
        self._retriever = retriever
        self._chat = chat
        self._gate = gate  # the line in front of the model, shared by a process's sessions
        self._terms = TermMatcher(sparse or SparseEncoder(compounds=settings.retrieval.compounds))
        self._rewriter = Rewriter(chat, settings.retrieval)
        self._checker = CitationChecker(self._terms, settings.answer.min_claim_support)

    @property
    def model_name(self) -> str:
        return self._chat.name if self._chat else "extractive"

    def ask(
        self,
        question: str,
        groups: Sequence[str],
        history: Sequence[dict[str, str]] = (),
        mode: Mode | None = None,
        when_full: WhenFull = "extractive",
    ) -> Answer:
        for item in self.stream(question, groups, history, mode, when_full):
            if isinstance(item, Answer):
                return item
        raise AssertionError("stream ended without an answer")  # pragma: no cover

    def stream(
        self,
        question: str,
        groups: Sequence[str],
        history: Sequence[dict[str, str]] = (),
        mode: Mode | None = None,
        when_full: WhenFull = "extractive",
    ) -> Generator[str | Sources | Queued | Answer, None, None]:
        """The ``Sources`` as soon as retrieval has them, ``Queued`` while the answer waits
        for the model (every half second, with its place in line), then text deltas while
        the model writes, then the checked ``Answer``. A personal identity number in the
        question or the earlier turns is masked before anything reads them (the app and
        the CLI mask and warn at their edge; this holds for every caller). When the model's
        line is full, the answer is the documents' sentences at once, or (``when_full`` is
        "refuse", for callers that can come back) ``LineFull`` is raised."""
        question = mask_personal_numbers(question)[0]
        history = [m | {"content": mask_personal_numbers(m["content"])[0]} for m in history]
        # A masked number is searched as nothing: no document answers to its placeholder.
        asked = " ".join(question.replace(PLACEHOLDER, " ").split())
        started = time.perf_counter()
        mode = mode or self._settings.answer.mode
        lang = detect_language(asked)
        timings: dict[str, float] = {}
        standalone = self._rewriter.standalone(asked, history, lang, timings)
        t0 = time.perf_counter()
        searched = self._rewriter.in_swedish(standalone, lang, timings)
        expansion = self._rewriter.expansion(searched, timings)
        bridge = self._rewriter.bridge(standalone, searched)
        if bridge:
            expansion = f"{expansion}\n{bridge}" if expansion else bridge
        retrieval = self._retriever.retrieve(searched, groups, expansion)
        timings["retrieve"] = _ms(t0)
        context = select(retrieval.passages, self._retriever.widened, self._settings.retrieval)
        timings["sources"] = _ms(started)
        yield Sources(
            [Source.of(i, p) for i, p in enumerate(context, start=1)], retrieval.supported
        )
        base = {
            "question": question,
            "standalone_question": standalone,
            "searched_question": searched,
            "lang": lang,
            "timings_ms": timings,
            "ranked": [Source.of(i, p) for i, p in enumerate(retrieval.passages, start=1)],
        }
        if not retrieval.supported:
            timings["first_token"] = timings["total"] = _ms(started)
            yield self._refusal(context, lang, base, mode)
            return
        if mode == "extractive" or self._chat is None:
            answer = self._extractive(retrieval, context, base, mode="extractive")
            timings["first_token"] = timings["total"] = _ms(started)
            yield _with_validity(answer)
            return
        ticket = self._gate.enter() if self._gate is not None else None
        if self._gate is not None and ticket is None:  # the line is full: answer at once
            if when_full == "refuse":
                raise LineFull(self._gate.retry_after_s())
            answer = self._extractive(retrieval, context, base, mode="extractive")
            answer.notice = load_phrases(lang).queue_full
            timings["first_token"] = timings["total"] = _ms(started)
            yield _with_validity(answer)
            return
        try:
            if ticket is not None:
                t_queue = time.perf_counter()
                while not ticket.wait(0.5):
                    yield Queued(ticket.position)
                timings["queue"] = _ms(t_queue)
            yield from self._generated(question, retrieval, context, lang, base, started)
        finally:
            if ticket is not None:
                ticket.leave()

    def _generated(
        self,
        question: str,
        retrieval: Retrieval,
        context: list[Passage],
        lang: str,
        base: dict[str, Any],
        started: float,
    ) -> Iterator[str | Answer]:
        timings: dict[str, float] = base["timings_ms"]
        t0 = time.perf_counter()
        assert self._chat is not None
        raw: list[str] = []
        read = focused(
            context,
            retrieval.question,
            retrieval.term_weights,
            self._terms,
            self._settings.answer.focus_tokens,
        )
        messages = self._prompt(question, read, lang)
        try:
            for delta in self._chat.stream(
                messages,
                max_tokens=self._settings.model.max_answer_tokens,
                temperature=self._settings.model.temperature,
            ):
                if not raw:
                    timings["first_token"] = _ms(started)
                raw.append(delta)
                yield delta
        except ModelError as exc:
            answer = self._extractive(retrieval, context, base, mode="extractive")
            answer.notice = load_phrases(lang).model_down.format(reason=_short(exc))
            timings.setdefault("first_token", _ms(started))
            timings["total"] = _ms(started)
            yield _with_validity(answer)
            return
        timings["generate"] = _ms(t0)
        timings["total"] = _ms(started)
        answer = self._checked("".join(raw), retrieval, context, base)
        count = get_tokenizer()
        answer.tokens = {
            "prompt": sum(len(count(m["content"])) for m in messages),
            "answer": len(count("".join(raw))),
        }
        yield _with_validity(answer)

    # -- steps ---------------------------------------------------------------------------

    def _prompt(self, question: str, context: list[Passage], lang: str) -> list[dict[str, str]]:
        passages = [
            {"n": i, "source": _source_line(p, lang), "text": excerpt(p.text)}
            for i, p in enumerate(context, start=1)
        ]
        return load_prompt("answer", lang).messages(
            no_support=load_phrases(lang).no_support, passages=passages, question=question
        )

    def _refusal(
        self, context: list[Passage], lang: str, base: dict[str, Any], mode: Mode
    ) -> Answer:
        return Answer(
            answer=load_phrases(lang).no_support,
            refused=True,
            mode=mode,
            citations=[],
            retrieved=[Source.of(i, p) for i, p in enumerate(context, start=1)],
            model=self.model_name if mode == "generative" else "extractive",
            **base,
        )

    def _extractive(
        self, retrieval: Retrieval, context: list[Passage], base: dict[str, Any], mode: Mode
    ) -> Answer:
        limit = self._settings.answer.extractive_sentences
        args = (retrieval.question, context, self._terms, limit, retrieval.term_weights)
        # Whether the documents answer is retrieval's decision, made once: when it found
        # support, the best sentences are quoted even if they share few of the question's
        # words (a paraphrase, another language); the reader checks them in the sources.
        extracts = best_sentences(*args) or best_sentences(*args, min_overlap=0.0)
        if not extracts:
            return self._refusal(context, base["lang"], base, mode)
        quotes: dict[int, str] = {}
        for e in extracts:
            quotes.setdefault(e.n, e.sentence)
        return Answer(
            answer=render(extracts, context, load_phrases(base["lang"])),
            refused=False,
            mode=mode,
            citations=[Source.of(n, context[n - 1], q) for n, q in sorted(quotes.items())],
            retrieved=[Source.of(i, p) for i, p in enumerate(context, start=1)],
            model="extractive",
            form="quoted",
            **base,
        )

    def _checked(
        self,
        raw: str,
        retrieval: Retrieval,
        context: list[Passage],
        base: dict[str, Any],
    ) -> Answer:
        """The model's answer checked, or the quote when that is the better answer.

        The quote stands in when the model refused (small models refuse answerable
        questions; retrieval already found support), when none of its sentences is borne
        out by its sources, and when the question asks for a kind of fact (an amount, a
        period, a date) that the quote states and the written answer does not. Either
        way the other form is kept (``Answer.alternative``) for evaluation.
        """
        quoted = self._extractive(retrieval, context, base, mode="extractive")
        quoted.alternative = raw.strip() or None
        if _is_refusal(raw):
            return quoted
        checked = self._checker.check(raw, context)
        if not checked.text:
            quoted.unsupported = checked.unsupported
            return quoted
        claims: list[Claim] = checked.claims
        written = Answer(
            answer=checked.text,
            refused=False,
            mode="generative",
            citations=[
                Source.of(n, context[n - 1], self._checker.quote(context[n - 1], claims, n))
                for n in checked.cited
            ],
            retrieved=[Source.of(i, p) for i, p in enumerate(context, start=1)],
            model=self.model_name,
            unsupported=checked.unsupported,
            alternative=None if quoted.refused else quoted.answer,
            **base,
        )
        if not quoted.refused and _quote_states_more(retrieval.question, written, quoted):
            quoted.alternative = written.answer
            quoted.unsupported = checked.unsupported
            return quoted
        return written


def _quote_states_more(question: str, written: Answer, quoted: Answer) -> bool:
    """Whether the question asks for a kind of fact the quote states and the written
    answer does not ("Hur lång tid …": "inom tre veckor" against "så snart som möjligt")."""
    kinds = asked_kinds(question)
    said = " ".join(quotations(quoted.answer))  # not its lead: a title may hold a date
    return any(states(k, said) and not states(k, written.answer) for k in kinds)


def _with_validity(answer: Answer) -> Answer:
    """Say in words when a cited document is superseded or past its validity date."""
    phrases = load_phrases(answer.lang)
    notes = []
    for kind, sentence in (
        ("superseded", phrases.validity_superseded),
        ("expired", phrases.validity_expired),
    ):
        refs = [f"[{c.n}]" for c in answer.citations if getattr(c, kind)]
        if refs:
            notes.append(sentence.format(refs=f"{phrases.source_word} {', '.join(refs)}"))
    answer.validity_notice = " ".join(notes) or None
    return answer


def _source_line(p: Passage, lang: str) -> str:
    phrases = load_phrases(lang)
    line = where(
        p.title or p.file,
        [p.page],
        p.heading,
        sep=" – ",
        page_word=phrases.page_abbreviation,
        page_in_brackets=True,
    )
    validity = p.validity()
    if validity == "superseded":
        line += f" [{phrases.label_superseded}]"
    elif validity == "expired":
        line += f" [{phrases.label_expired}]"
    return line


def _is_refusal(raw: str) -> bool:
    text = raw.lower()
    return any(marker in text for marker in refusal_markers())


def _short(exc: Exception) -> str:
    return str(exc).split("\n")[0][:160]


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
