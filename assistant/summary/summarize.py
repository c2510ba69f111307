"""Managers' drafts: whole documents summarised part by part, every sentence cited.

Map, then reduce. A document is cut into parts along its headings (at most
``summary.part_tokens`` each); the model writes a short note on each part, citing the
part's numbered passages; the notes are checked like answers (a sentence no cited passage
supports is removed and listed; a number or date must stand in the passage it cites).
A short summary of more than two parts then condenses the checked notes in one more
call, checked again. A long document opens with a part of half the size, so the first
note comes soon. A document longer than the time budget (``summary.max_parts``) keeps its
opening and parts spread over the rest (or its most central ones, by a setting), and the
draft says which stretches were left out. Without a model (none configured, or it
fails) the draft quotes each part's most telling sentences instead, with a notice.

Kinds: ``summary`` (short or long), ``key-points``, ``staff`` (obligations, deadlines,
amounts and who decides, as a table) and ``changes`` (two versions of a document, what
was added and removed, compared sentence by sentence).
"""

from __future__ import annotations

import difflib
import math
import re
import time
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from assistant.errors import InputError, ModelError
from assistant.query.answer import Source, quoted, source_contract
from assistant.query.citations import CitationChecker
from assistant.query.prompts import excerpt, load_phrases, load_prompt
from assistant.query.retrieve import Passage
from assistant.settings import Settings
from assistant.summary.library import DocumentInfo, Library
from assistant.text.sentences import CITATION_MARKER, numbers, sentences
from assistant.text.terms import TermMatcher

if TYPE_CHECKING:
    from assistant.models.chat import ChatModel
    from assistant.models.embeddings import EmbeddingModel

Kind = Literal["summary", "key-points", "staff", "changes"]
Audience = Literal["staff", "committee", "residents"]
Length = Literal["short", "long"]
KINDS: tuple[Kind, ...] = ("summary", "key-points", "staff", "changes")

_MARKERS = re.compile(r"\s*" + CITATION_MARKER.pattern)
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
        pages = sorted({p.page for p in self.passages if p.page})
        span = ""
        if pages:
            span = f"s. {pages[0]}" if len(pages) == 1 else f"s. {pages[0]}–{pages[-1]}"
        return ", ".join(x for x in (self.doc.file, span, self.heading) if x)


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    label: str


@dataclass(frozen=True)
class Section:
    """One drafted part: its heading and its checked text with [n] markers."""

    heading: str
    text: str


@dataclass
class Summary:
    summary: str
    kind: Kind
    documents: list[str]
    citations: list[Source]
    unsupported: list[str]
    left_out: list[str]
    model: str
    timings_ms: dict[str, float]
    sections: list[Section] = field(default_factory=list)
    notice: str | None = None
    audience: Audience = "staff"
    length: Length = "short"
    # Each cited document's title, designation and decision date, for the source list.
    sources: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The documented contract of ``assistant summarize --json``."""
        data = asdict(self)
        data["citations"] = [source_contract(c) for c in data["citations"]]
        for key in ("sections", "notice", "audience", "length", "sources"):
            data.pop(key)
        return data


class Summarizer:
    def __init__(
        self,
        settings: Settings,
        library: Library,
        terms: TermMatcher,
        chat: ChatModel | None,
        embedder: EmbeddingModel | None = None,
    ) -> None:
        self._settings = settings
        self._config = settings.summary
        self._library = library
        self._terms = terms
        self._chat = chat
        self._embedder = embedder
        self._checker = CitationChecker(terms, settings.answer.min_claim_support)

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
        draft = _Draft(self, docs, texts, groups, kind, audience, length, chat, timings, t0)
        yield from draft.run()


class _Draft:
    """One summary being written; keeps the numbering of the passages it cites."""

    def __init__(
        self,
        owner: Summarizer,
        docs: list[DocumentInfo],
        texts: dict[str, list[Passage]],
        groups: Sequence[str],
        kind: Kind,
        audience: Audience,
        length: Length,
        chat: ChatModel | None,
        timings: dict[str, float],
        t0: float,
    ) -> None:
        self.o = owner
        self.docs = docs
        self.texts = texts
        self.groups = groups
        self.kind = kind
        self.audience = audience
        self.length = length
        self.chat = chat
        self.timings = timings
        self.t0 = t0
        self.cited: dict[str, int] = {}  # chunk id -> citation number
        self.passages: list[Passage] = []  # by citation number - 1
        self.quotes: dict[int, str] = {}
        self.unsupported: list[str] = []
        self.notice: str | None = None
        self.phrases = load_phrases("sv")

    # -- the whole run -------------------------------------------------------------------

    def run(self) -> Iterator[Progress | Section | Summary]:
        if self.kind == "changes":
            sections = yield from self._changes()
            left_out: list[str] = []
        else:
            parts = [p for d in self.docs for p in _parts(d, self.texts[d.doc_id], self.o)]
            kept, dropped = self._budget(parts)
            left_out = [run.where for run in _runs(parts, dropped)]
            sections = []
            for i, part in enumerate(kept):
                yield Progress(i, len(kept), part.where)
                section = self._part(part)
                if not sections:
                    self.timings["first_section"] = _ms(self.t0)
                if section.text:
                    sections.append(section)
                    yield section
            yield Progress(len(kept), len(kept), "")
            if self.kind == "summary" and self.length == "short" and len(sections) > 2:
                sections = self._reduce(sections)
        self.timings["total"] = _ms(self.t0)
        yield self._summary(sections, left_out)

    def _budget(self, parts: list[Part]) -> tuple[list[Part], list[Part]]:
        limit = self.o._config.max_parts
        if len(parts) <= limit:
            return parts, []
        how = self.o._config.selection
        if how == "first":
            chosen = set(range(limit))
        elif how == "even" or self.o._embedder is None:
            step = len(parts) / limit
            chosen = {int(i * step) for i in range(limit)}
        else:
            chosen = _central(parts, limit, self.o._embedder)
        chosen.add(0)  # the opening says what the document is
        while len(chosen) > limit:
            chosen.remove(max(chosen - {0}))
        kept = [p for i, p in enumerate(parts) if i in chosen]
        return kept, [p for i, p in enumerate(parts) if i not in chosen]

    # -- map: one part -------------------------------------------------------------------

    def _part(self, part: Part) -> Section:
        if self.chat is not None:
            try:
                text = self._model_part(part)
                if text:
                    return Section(part.heading or part.doc.title, text)
            except ModelError as exc:
                self._model_failed(exc)
        return Section(part.heading or part.doc.title, self._extract(part.passages))

    def _model_part(self, part: Part) -> str:
        assert self.chat is not None
        local = list(part.passages)
        prompt = load_prompt("summarize", "sv").messages(
            kind=self.kind,
            audience=self.audience,
            length=self.length,
            document=part.doc.title or part.doc.file,
            passages=[
                {"n": i, "source": _where(p), "text": excerpt(p.text)}
                for i, p in enumerate(local, 1)
            ],
        )
        t0 = time.perf_counter()
        longer = 2 if self.length == "long" else 1  # three to five sentences need the room
        raw = self.chat.complete(
            prompt,
            max_tokens=self.o._config.part_answer_tokens * longer,
            temperature=self.o._settings.model.temperature,
        )
        self.timings["model"] = self.timings.get("model", 0.0) + _ms(t0)
        return self._checked(_whole_sentences(raw), local, bullets=self.kind != "summary")

    def _checked(self, raw: str, local: list[Passage], bullets: bool) -> str:
        """The model's text with only supported sentences, renumbered to the draft's."""
        lines = [ln.strip(" -•*\t") for ln in raw.splitlines() if ln.strip()] if bullets else [raw]
        kept: list[str] = []
        for line in lines:
            checked = self.o._checker.check(line, local)
            self.unsupported += checked.unsupported
            if not checked.text:
                continue
            renumbered = _MARKERS.sub(partial(self._renumber, local=local, claims=checked.claims),
                                      checked.text)  # fmt: skip
            kept.append(renumbered)
        return "\n".join(f"- {k}" for k in kept) if bullets else " ".join(kept)

    def _renumber(
        self, match: re.Match[str], *, local: list[Passage], claims: Sequence[Any]
    ) -> str:
        numbers_ = [int(n) for n in re.findall(r"\d+", match.group(0))]
        out = []
        for n in numbers_:
            passage = local[n - 1]
            global_n = self._cite(passage, self.o._checker.quote(passage, claims, n))
            out.append(f"[{global_n}]")
        return " " + " ".join(dict.fromkeys(out))

    def _cite(self, passage: Passage, quote: str) -> int:
        if passage.chunk_id not in self.cited:
            self.passages.append(passage)
            self.cited[passage.chunk_id] = len(self.passages)
        n = self.cited[passage.chunk_id]
        self.quotes.setdefault(n, quote)
        return n

    def _extract(self, passages: Sequence[Passage]) -> str:
        """The part's most telling sentences, quoted and cited (no model)."""
        limit = self.o._config.extractive_sentences
        if self.kind == "staff":
            return self._staff_rows(passages, limit + 2)
        weights = _salience(passages, self.o._terms)
        scored: list[tuple[float, int, int, str]] = []
        for i, passage in enumerate(passages):
            for j, sentence in enumerate(sentences(passage.text)):
                if len(sentence.split()) < 6:
                    continue  # headings, labels, list stubs
                keys = self.o._terms.keys(sentence)
                score = self.o._terms.coverage(weights, keys) / math.sqrt(len(sentence.split()))
                score += 0.05 * bool(numbers(sentence))
                scored.append((score, i, j, sentence))
        best = sorted(sorted(scored, reverse=True)[:limit], key=lambda s: (s[1], s[2]))
        lines = [f"{s} [{self._cite(passages[i], s)}]" for _, i, _, s in best]
        if self.kind == "key-points":
            return "\n".join(f"- {line}" for line in lines)
        return " ".join(lines)

    def _staff_rows(self, passages: Sequence[Passage], limit: int) -> str:
        rows: list[str] = []
        for passage in passages:
            for sentence in sentences(passage.text):
                if len(sentence.split()) < 5 or not _STAFF_CUE.search(sentence):
                    continue
                who = _DECIDER.search(sentence)
                when = ", ".join(sorted(numbers(sentence))[:3])
                n = self._cite(passage, sentence)
                cells = [sentence.replace("|", "/"), who.group(1) if who else "", when]
                rows.append("| " + " | ".join(cells) + f" [{n}] |")
                if len(rows) >= limit:
                    return "\n".join(rows)
        return "\n".join(rows)

    def _model_failed(self, exc: Exception) -> None:
        self.chat = None  # the rest of the draft is extractive too
        self.notice = self.phrases.unverified + f" ({exc})"

    # -- reduce --------------------------------------------------------------------------

    def _reduce(self, sections: list[Section]) -> list[Section]:
        if self.chat is None:
            return sections  # the quoted sentences are already short
        notes = [  # the quoted sentences only: the whole passages would not fit
            {"n": n, "source": _where(p), "text": excerpt(self.quotes.get(n, p.text[:300]))}
            for n, p in enumerate(self.passages, start=1)
        ]
        prompt = load_prompt("summarize-reduce", "sv").messages(
            audience=self.audience,
            notes="\n".join(s.text for s in sections),
            passages=notes,
        )
        t0 = time.perf_counter()
        try:
            raw = self.chat.complete(
                prompt,
                max_tokens=self.o._config.part_answer_tokens * 2,
                temperature=self.o._settings.model.temperature,
            )
        except ModelError as exc:
            self._model_failed(exc)
            return sections
        self.timings["reduce"] = _ms(t0)
        checked = self.o._checker.check(raw, self.passages)
        if not checked.text:
            return sections  # nothing survived the check: keep the checked notes
        self.unsupported += checked.unsupported
        return [Section("Sammanfattning", checked.text)]

    # -- changes between two versions ------------------------------------------------------

    def _changes(self) -> Generator[Progress | Section, None, list[Section]]:
        old, new = sorted(self.docs, key=_age)
        yield Progress(0, 1, f"{old.file} → {new.file}")
        before = [(s, p) for p in self.texts[old.doc_id] for s in sentences(_unwrap(p.text))]
        after = [(s, p) for p in self.texts[new.doc_id] for s in sentences(_unwrap(p.text))]
        matcher = difflib.SequenceMatcher(
            a=[_norm(s) for s, _ in before], b=[_norm(s) for s, _ in after], autojunk=False
        )
        added: list[str] = []
        removed: list[str] = []
        for op, a0, a1, b0, b1 in matcher.get_opcodes():
            if op in ("delete", "replace"):
                removed += [f"{s} [{self._cite(p, s)}]" for s, p in before[a0:a1] if _worth(s)]
            if op in ("insert", "replace"):
                added += [f"{s} [{self._cite(p, s)}]" for s, p in after[b0:b1] if _worth(s)]
        self.timings["first_section"] = _ms(self.t0)
        sections = []
        limit = 12 if self.length == "short" else 40
        for heading, lines in (
            (f"Nytt eller ändrat i {new.file}", added),
            (f"Borttaget ur {old.file}", removed),
        ):
            shown = lines[:limit]
            if len(lines) > limit:
                shown.append(f"… och {len(lines) - limit} meningar till.")
            section = Section(heading, "\n".join(f"- {s}" for s in shown) or "- Inga.")
            sections.append(section)
            yield section
        yield Progress(1, 1, "")
        return sections

    # -- the result ----------------------------------------------------------------------

    def _summary(self, sections: list[Section], left_out: list[str]) -> Summary:
        used = {int(n) for s in sections for n in re.findall(r"\[(\d+)\]", s.text)}
        citations = [
            Source.of(n, self.passages[n - 1], self.quotes.get(n))
            for n in range(1, len(self.passages) + 1)
            if n in used
        ]
        body = "\n\n".join(
            s.text if len(sections) == 1 else f"### {s.heading}\n\n{s.text}" for s in sections
        )
        if self.kind == "staff" and body:
            header = "| Vad gäller | Vem | När / belopp |\n|---|---|---|\n"
            body = "\n\n".join(
                f"### {s.heading}\n\n{header}{s.text}" if s.text.startswith("|") else s.text
                for s in sections
            )
        return Summary(
            summary=body,
            kind=self.kind,
            documents=[d.file for d in self.docs],
            citations=citations,
            unsupported=list(dict.fromkeys(self.unsupported)),
            left_out=left_out,
            model=self.o._chat.name if self.chat is not None and self.o._chat else "extractive",
            timings_ms=self.timings,
            sections=sections,
            notice=self.notice,
            audience=self.audience,
            length=self.length,
            sources=[_source_row(d) for d in self.docs],
        )


# -- parts -----------------------------------------------------------------------------


def _parts(doc: DocumentInfo, passages: list[Passage], owner: Summarizer) -> list[Part]:
    """Consecutive passages under the same top heading, at most ``part_tokens`` each."""
    budget = owner._config.part_tokens
    # A long document opens with a short part, so that its first note comes soon.
    opening = budget // 2 if sum(p.tokens for p in passages) > 2 * budget else budget
    # A document whose one top heading is its title is cut along the level below it.
    tops = {p.record.heading_path[:1] for p in passages if p.record.heading_path}
    level = 1 if len(tops) == 1 else 0
    parts: list[Part] = []
    current: list[Passage] = []
    heading = ""
    for p in passages:
        path = p.record.heading_path
        top = path[level] if len(path) > level else (path[0] if path else "")
        size = sum(q.tokens for q in current)
        limit = budget if parts else opening
        if current and (top != heading or size + p.tokens > limit):
            parts.append(Part(doc, current, heading))
            current = []
        if not current:
            heading = top
        current.append(p)
    if current:
        parts.append(Part(doc, current, heading))
    return _merge_small(parts, budget, opening)


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


def _runs(parts: list[Part], dropped: list[Part]) -> list[Part]:
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


def _salience(passages: Sequence[Passage], terms: TermMatcher) -> dict[str, float]:
    """The part's characteristic words: frequent in it, weighted by how often they recur."""
    counts: Counter[str] = Counter()
    for p in passages:
        for sentence in sentences(p.text):
            counts.update(terms.words(sentence))
    return {w: float(c) for w, c in counts.most_common(40) if c > 1} or dict.fromkeys(counts, 1.0)


# -- small helpers ---------------------------------------------------------------------


def _where(p: Passage) -> str:
    page = f", s. {p.page_label or p.page}" if p.page else ""
    heading = f" – {p.heading}" if p.heading else ""
    return f"{p.title or p.file}{page}{heading}"


def _age(doc: DocumentInfo) -> tuple[int, str]:
    """Older first: a superseded version before the one in force, then by decision date."""
    return (0 if doc.superseded else 1, doc.decision_date or "")


_SENTENCE_END = re.compile(r"[.!?:)](\s*\[\d+(?:\s*[,;]\s*\d+)*\])*\s*$|\]\s*$", re.M)


def _whole_sentences(raw: str) -> str:
    """The note without a last sentence cut off by the token limit (it is not a claim)."""
    text = raw.rstrip()
    if not text or _SENTENCE_END.search(text[-12:] if len(text) > 12 else text):
        return text
    ends = list(re.finditer(r"[.!?](\s*\[\d+(?:\s*[,;]\s*\d+)*\])*|\n", text))
    return text[: ends[-1].end()].rstrip() if ends else text


def _unwrap(text: str) -> str:
    """Lines broken inside a paragraph joined again, so sentences compare whole."""
    return re.sub(r"(?<=\S)[ \t]*\n(?![ \t]*(\n|[-•*]|\d+[.)]|[A-ZÅÄÖ][^\n]{0,60}:))", " ", text)


def _norm(sentence: str) -> str:
    return " ".join(sentence.lower().split())


def _worth(sentence: str) -> bool:
    return len(sentence.split()) >= 4 or bool(numbers(sentence))


def _source_row(doc: DocumentInfo) -> dict[str, str]:
    return {
        "file": doc.file,
        "title": doc.title,
        "designation": doc.designations[0].upper() if doc.designations else "",
        "date": doc.decision_date or "",
    }


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
