"""Question in, cited answer out: retrieve → decide support → answer → check citations.

``Assistant.stream`` yields the model's text as it arrives and ends with the checked
``Answer``; ``Assistant.ask`` returns just the ``Answer``. Both the app and the CLI use it.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from llama_index.core.utils import get_tokenizer

from assistant.errors import ModelError
from assistant.query.citations import CitationChecker, Claim
from assistant.query.extractive import best_sentences, render
from assistant.query.gate import Gate
from assistant.query.prompts import excerpt, load_phrases, load_prompt, refusal_markers
from assistant.query.retrieve import Passage, Retrieval, Retriever
from assistant.settings import Settings
from assistant.text.injection import MARKER, strip_instructions
from assistant.text.language import detect_language
from assistant.text.personal import PLACEHOLDER, mask_personal_numbers
from assistant.text.sentences import sentences
from assistant.text.sparse import SparseEncoder
from assistant.text.terms import TermMatcher, uniform

if TYPE_CHECKING:
    from assistant.models.chat import ChatModel

Mode = Literal["generative", "extractive"]

# A query expansion is one or two sentences; more would outweigh the question's own words.
_EXPANSION_TOKENS = 80
_EXPANSION_CHARS = 500


@dataclass(frozen=True)
class Source:
    """A passage as the answer's JSON shows it (citations and retrieved)."""

    n: int
    file: str
    page: int | None
    heading: str | None
    quote: str
    doc_id: str
    chunk_id: str
    score: float
    title: str = ""
    source: str = ""
    superseded: bool = False
    expired: bool = False  # its valid-until date has passed
    # Text that reads like instructions to a model was found in the passage and left out.
    instructions_left_out: bool = False
    # Personal identity numbers in the document, and how they were indexed: under "mask"
    # the passage shows ÅÅMMDD-XXXX but the original file still holds the numbers.
    personal_numbers: int = 0
    personal_policy: str | None = None
    # The indexed version's SHA-256 and its path below the folder it was synced from: the
    # source viewer serves the original only while the file there still has this content.
    content_hash: str = ""
    rel_path: str = ""

    @classmethod
    def of(cls, n: int, p: Passage, quote: str | None = None) -> Source:
        validity = p.validity()
        return cls(
            n=n,
            file=p.file,
            page=p.page,
            heading=p.heading,
            quote=quote if quote is not None else p.text,
            doc_id=p.doc_id,
            chunk_id=p.chunk_id,
            score=round(p.similarity, 4),
            title=p.title,
            source=p.source,
            superseded=validity == "superseded",
            expired=validity == "expired",
            instructions_left_out=bool(p.record.instructions) or MARKER in p.text,
            personal_numbers=p.record.personal_numbers,
            personal_policy=p.record.personal_policy,
            content_hash=p.record.content_hash,
            rel_path=p.record.rel_path,
        )

    @property
    def masked(self) -> bool:
        """Whether the original file holds personal identity numbers the index masks."""
        return self.personal_numbers > 0 and self.personal_policy == "mask"


@dataclass
class Answer:
    answer: str
    refused: bool
    mode: Mode
    citations: list[Source]
    retrieved: list[Source]
    model: str
    timings_ms: dict[str, float]
    question: str = ""
    standalone_question: str = ""
    # What retrieval searched with: the standalone question, in Swedish when it was not.
    searched_question: str = ""
    lang: str = "sv"
    unsupported: list[str] = field(default_factory=list)
    notice: str | None = None
    # Cited documents that are superseded or past their validity date, said in words.
    validity_notice: str | None = None
    # Every passage retrieval ranked (top_k), for evaluation; not part of the JSON contract.
    ranked: list[Source] = field(default_factory=list, repr=False)
    # Prompt and answer size in tokens (tiktoken cl100k, an estimate for other tokenizers).
    tokens: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The documented contract of ``assistant ask --json``."""
        data = asdict(self)
        del data["ranked"]
        data.pop("tokens")
        for key in ("citations", "retrieved"):
            data[key] = [source_contract(s) for s in data[key]]
        return data


def source_contract(source: dict[str, Any]) -> dict[str, Any]:
    """A source as the JSON contracts (ask, summarize) show it."""
    keys = ("n", "file", "page", "heading", "quote", "doc_id", "chunk_id", "score", "title")
    return {k: source[k] for k in keys} | {
        "superseded": source["superseded"],
        "expired": source["expired"],
        "instructions_left_out": source["instructions_left_out"],
    }


@dataclass(frozen=True)
class Sources:
    """The passages an answer will draw on, known before the model writes: what the app
    shows at once. ``supported`` False: the answer will say the documents do not answer."""

    passages: list[Source]
    supported: bool


@dataclass(frozen=True)
class Queued:
    """The answer waits for the model: ``position`` is its number in the line."""

    position: int


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
    ) -> Answer:
        for item in self.stream(question, groups, history, mode):
            if isinstance(item, Answer):
                return item
        raise AssertionError("stream ended without an answer")  # pragma: no cover

    def stream(
        self,
        question: str,
        groups: Sequence[str],
        history: Sequence[dict[str, str]] = (),
        mode: Mode | None = None,
    ) -> Generator[str | Sources | Queued | Answer, None, None]:
        """The ``Sources`` as soon as retrieval has them, ``Queued`` while the answer waits
        for the model (every half second, with its place in line), then text deltas while
        the model writes, then the checked ``Answer``. A personal identity number in the
        question or the earlier turns is masked before anything reads them (the app and
        the CLI mask and warn at their edge; this holds for every caller)."""
        question = mask_personal_numbers(question)[0]
        history = [m | {"content": mask_personal_numbers(m["content"])[0]} for m in history]
        # A masked number is searched as nothing: no document answers to its placeholder.
        asked = " ".join(question.replace(PLACEHOLDER, " ").split())
        started = time.perf_counter()
        mode = mode or self._settings.answer.mode
        lang = detect_language(asked)
        timings: dict[str, float] = {}
        standalone = self._standalone(asked, history, lang, timings)
        t0 = time.perf_counter()
        searched = self._in_swedish(standalone, lang, timings)
        expansion = self._expansion(searched, timings)
        retrieval = self._retriever.retrieve(searched, groups, expansion)
        timings["retrieve"] = _ms(t0)
        context = self._context(retrieval)
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
        messages = self._prompt(question, self._focused(context, retrieval), lang)
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
        answer = self._checked("".join(raw), retrieval, context, lang, base)
        count = get_tokenizer()
        answer.tokens = {
            "prompt": sum(len(count(m["content"])) for m in messages),
            "answer": len(count("".join(raw))),
        }
        yield _with_validity(answer)

    # -- steps ---------------------------------------------------------------------------

    def _standalone(
        self,
        question: str,
        history: Sequence[dict[str, str]],
        lang: str,
        timings: dict[str, float],
    ) -> str:
        """The question rewritten to stand alone, when it follows earlier turns."""
        if not history:
            return question
        t0 = time.perf_counter()
        recent = [t for t in history if t.get("role") in ("user", "assistant")][-4:]
        earlier = [t["content"] for t in recent if t["role"] == "user"][-1:]
        fallback = " ".join([*earlier, question])
        if self._chat is None:
            return fallback
        messages = load_prompt("rewrite", lang).messages(history=recent, question=question)
        rewritten = self._one_line(messages, 80)
        timings["rewrite"] = _ms(t0)
        return rewritten or fallback

    def _in_swedish(self, question: str, lang: str, timings: dict[str, float]) -> str:
        """The question in Swedish for retrieval, when it is asked in another language.

        The documents are Swedish: an English question's words meet English documents
        first and the Swedish answer last. The chat model translates (the answer stays in
        the asker's language); without one, or when it fails, the question is searched as
        asked.
        """
        if lang == "sv" or self._chat is None or not self._settings.retrieval.translate_questions:
            return question
        t0 = time.perf_counter()
        translated = self._one_line(load_prompt("translate", "en").messages(question=question), 120)
        timings["translate"] = _ms(t0)
        return translated or question

    def _expansion(self, question: str, timings: dict[str, float]) -> str | None:
        """A short passage answering the question as a municipal document would, to search
        with (``retrieval.expand_questions``).

        Questions and documents often name one thing differently ("ledig för att vabba",
        "tillfällig föräldrapenning"); the model's guess at the documents' wording finds
        them. Nothing it writes is shown or trusted: support is decided on the question.
        The passage is Swedish whatever the question's language; a question in another
        language gets its instructions in English (in Swedish ones, the packaged 1.5B
        model answered English questions in English). Without a model, or when it fails,
        there is none.
        """
        if self._chat is None or not self._settings.retrieval.expand_questions:
            return None
        t0 = time.perf_counter()
        messages = load_prompt("expand", detect_language(question)).messages(question=question)
        try:
            reply = self._chat.complete(messages, max_tokens=_EXPANSION_TOKENS, temperature=0.0)
        except ModelError:
            return None
        finally:
            timings["expand"] = _ms(t0)
        text = " ".join(reply.split())[:_EXPANSION_CHARS]
        return text or None

    def _one_line(self, messages: list[dict[str, str]], max_tokens: int) -> str | None:
        """The model's one-line reply (a rewritten question), or None when it has none."""
        if self._chat is None:
            return None
        try:
            reply = self._chat.complete(messages, max_tokens=max_tokens, temperature=0.0)
        except ModelError:
            return None
        first_line = reply.strip().splitlines()[0].strip() if reply.strip() else ""
        return first_line if 3 < len(first_line) < 400 else None

    def _context(self, retrieval: Retrieval) -> list[Passage]:
        """The best passages that fit the token budget of the prompt, without sentences
        that read like instructions to a model (``quoted``)."""
        budget = self._settings.retrieval.context_tokens
        chosen: list[Passage] = []
        used = 0
        for p in retrieval.passages[: self._settings.retrieval.context_passages]:
            p = self._retriever.widened(p)
            cost = p.tokens
            if chosen and used + cost > budget:
                break
            chosen.append(p)
            used += cost
        return quoted(chosen)

    def _focused(self, context: list[Passage], retrieval: Retrieval) -> list[Passage]:
        """What the model reads: the first passages, each cut down to its sentences that
        answer the question best, with their neighbours (``answer.focus_tokens``, a budget
        per rank); the numbering stays the same."""
        budgets = self._settings.answer.focus_tokens
        if not budgets:
            return context
        weights = retrieval.term_weights or uniform(self._terms.words(retrieval.question))
        count = get_tokenizer()
        out = []
        for p, budget in zip(context, budgets, strict=False):
            if not budget or p.tokens <= budget:
                out.append(p)
                continue
            parts = sentences(p.text)
            scores = [self._terms.coverage(weights, self._terms.keys(t)) for t in parts]
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
            answer=render(extracts),
            refused=False,
            mode=mode,
            citations=[Source.of(n, context[n - 1], q) for n, q in sorted(quotes.items())],
            retrieved=[Source.of(i, p) for i, p in enumerate(context, start=1)],
            model="extractive",
            **base,
        )

    def _checked(
        self,
        raw: str,
        retrieval: Retrieval,
        context: list[Passage],
        lang: str,
        base: dict[str, Any],
    ) -> Answer:
        if _is_refusal(raw):
            # Small models refuse answerable questions too often; retrieval already found
            # support, so show the documents' best sentences (or refuse if there are none).
            answer = self._extractive(retrieval, context, base, mode="extractive")
            answer.notice = None if answer.refused else load_phrases(lang).model_found_nothing
            return answer
        checked = self._checker.check(raw, context)
        if not checked.text:
            answer = self._extractive(retrieval, context, base, mode="extractive")
            answer.notice = None if answer.refused else load_phrases(lang).unverified
            answer.unsupported = checked.unsupported
            return answer
        claims: list[Claim] = checked.claims
        return Answer(
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
            **base,
        )


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
    parts = [p.title or p.file]
    if p.heading:
        parts.append(p.heading)
    line = " – ".join(parts)
    if p.page:
        line += f" ({phrases.page_abbreviation} {p.page})"
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


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
