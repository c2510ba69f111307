"""One summary being written: map, then reduce, every sentence cited.

The model writes a short note on each part, citing the part's numbered passages; the
notes are checked like answers (a sentence no cited passage supports is removed and
listed; a number or date must stand in the passage it cites) and renumbered to the
draft's own citations. A short summary of more than two parts then condenses the checked
notes in one more call, checked again. Without a model (none, or it fails) each part's
most telling sentences are quoted instead, with a notice.
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from assistant.errors import ModelError
from assistant.query.citations import CitationChecker
from assistant.query.contract import Passage, Source, where
from assistant.query.prompts import excerpt, load_phrases, load_prompt
from assistant.settings import SummarySettings
from assistant.summary.changes import change_sections, changes, older_first
from assistant.summary.contract import Audience, Kind, Length, Progress, Section, Summary
from assistant.summary.extractive import staff_rows, telling
from assistant.summary.library import DocumentInfo
from assistant.summary.parts import Part, parts, stretches, within_budget
from assistant.text.sentences import CITATION_MARKER
from assistant.text.terms import TermMatcher

if TYPE_CHECKING:
    from assistant.models.chat import ChatModel
    from assistant.models.embeddings import EmbeddingModel

_MARKERS = re.compile(r"\s*" + CITATION_MARKER.pattern)
_SENTENCE_END = re.compile(r"[.!?:)](\s*\[\d+(?:\s*[,;]\s*\d+)*\])*\s*$|\]\s*$", re.M)


@dataclass(frozen=True)
class Tools:
    """What every draft is written with: the settings, the citation check, the term
    matcher, and the embedding model that finds a long document's central parts."""

    config: SummarySettings
    temperature: float
    checker: CitationChecker
    terms: TermMatcher
    embedder: EmbeddingModel | None = None


class Draft:
    """One summary being written; keeps the numbering of the passages it cites."""

    def __init__(
        self,
        tools: Tools,
        docs: list[DocumentInfo],
        texts: dict[str, list[Passage]],
        kind: Kind,
        audience: Audience,
        length: Length,
        chat: ChatModel | None,
        timings: dict[str, float],
        t0: float,
    ) -> None:
        self._tools = tools
        self._docs = docs
        self._texts = texts
        self._kind = kind
        self._audience = audience
        self._length = length
        self._chat = chat
        self._timings = timings
        self._t0 = t0
        self._cited: dict[str, int] = {}  # chunk id -> citation number
        self._passages: list[Passage] = []  # by citation number - 1
        self._quotes: dict[int, str] = {}
        self._unsupported: list[str] = []
        self._notice: str | None = None
        self._phrases = load_phrases("sv")

    # -- the whole run -------------------------------------------------------------------

    def run(self) -> Iterator[Progress | Section | Summary]:
        """Progress, then each drafted section as it is ready, then the checked ``Summary``."""
        if self._kind == "changes":
            sections = yield from self._changes()
            left_out: list[str] = []
        else:
            config = self._tools.config
            cut = [
                p for d in self._docs for p in parts(d, self._texts[d.doc_id], config.part_tokens)
            ]
            kept, dropped = within_budget(
                cut, config.max_parts, config.selection, self._tools.embedder
            )
            left_out = [run.where for run in stretches(cut, dropped)]
            sections = []
            for i, part in enumerate(kept):
                yield Progress(i, len(kept), part.where)
                section = self._part(part)
                if not sections:
                    self._timings["first_section"] = _ms(self._t0)
                if section.text:
                    sections.append(section)
                    yield section
            yield Progress(len(kept), len(kept), "")
            if self._kind == "summary" and self._length == "short" and len(sections) > 2:
                sections = self._reduce(sections)
        self._timings["total"] = _ms(self._t0)
        yield self._summary(sections, left_out)

    # -- map: one part -------------------------------------------------------------------

    def _part(self, part: Part) -> Section:
        if self._chat is not None:
            try:
                text = self._model_part(part)
                if text:
                    return Section(part.heading or part.doc.title, text)
            except ModelError as exc:
                self._model_failed(exc)
        return Section(part.heading or part.doc.title, self._extract(part.passages))

    def _model_part(self, part: Part) -> str:
        assert self._chat is not None
        local = list(part.passages)
        prompt = load_prompt("summarize", "sv").messages(
            kind=self._kind,
            audience=self._audience,
            length=self._length,
            document=part.doc.title or part.doc.file,
            passages=[
                {"n": i, "source": _source(p), "text": excerpt(p.text)}
                for i, p in enumerate(local, 1)
            ],
        )
        t0 = time.perf_counter()
        longer = 2 if self._length == "long" else 1  # three to five sentences need the room
        raw = self._chat.complete(
            prompt,
            max_tokens=self._tools.config.part_answer_tokens * longer,
            temperature=self._tools.temperature,
        )
        self._timings["model"] = self._timings.get("model", 0.0) + _ms(t0)
        return self._checked(_whole_sentences(raw), local, bullets=self._kind != "summary")

    def _checked(self, raw: str, local: list[Passage], bullets: bool) -> str:
        """The model's text with only supported sentences, renumbered to the draft's."""
        lines = [ln.strip(" -•*\t") for ln in raw.splitlines() if ln.strip()] if bullets else [raw]
        kept: list[str] = []
        for line in lines:
            checked = self._tools.checker.check(line, local)
            self._unsupported += checked.unsupported
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
            global_n = self._cite(passage, self._tools.checker.quote(passage, claims, n))
            out.append(f"[{global_n}]")
        return " " + " ".join(dict.fromkeys(out))

    def _cite(self, passage: Passage, quote: str) -> int:
        if passage.chunk_id not in self._cited:
            self._passages.append(passage)
            self._cited[passage.chunk_id] = len(self._passages)
        n = self._cited[passage.chunk_id]
        self._quotes.setdefault(n, quote)
        return n

    def _extract(self, passages: Sequence[Passage]) -> str:
        """The part's most telling sentences, quoted and cited (no model)."""
        limit = self._tools.config.extractive_sentences
        if self._kind == "staff":
            rows = []
            for row in staff_rows(passages, limit + 2):
                n = self._cite(row.passage, row.sentence)
                rows.append("| " + " | ".join(row.cells) + f" [{n}] |")
            return "\n".join(rows)
        best = telling(passages, self._tools.terms, limit)
        lines = [f"{s} [{self._cite(passages[i], s)}]" for i, s in best]
        if self._kind == "key-points":
            return "\n".join(f"- {line}" for line in lines)
        return " ".join(lines)

    def _model_failed(self, exc: Exception) -> None:
        self._chat = None  # the rest of the draft is extractive too
        self._notice = self._phrases.unverified + f" ({exc})"

    # -- reduce --------------------------------------------------------------------------

    def _reduce(self, sections: list[Section]) -> list[Section]:
        if self._chat is None:
            return sections  # the quoted sentences are already short
        notes = [  # the quoted sentences only: the whole passages would not fit
            {"n": n, "source": _source(p), "text": excerpt(self._quotes.get(n, p.text[:300]))}
            for n, p in enumerate(self._passages, start=1)
        ]
        prompt = load_prompt("summarize-reduce", "sv").messages(
            audience=self._audience,
            notes="\n".join(s.text for s in sections),
            passages=notes,
        )
        t0 = time.perf_counter()
        try:
            raw = self._chat.complete(
                prompt,
                max_tokens=self._tools.config.part_answer_tokens * 2,
                temperature=self._tools.temperature,
            )
        except ModelError as exc:
            self._model_failed(exc)
            return sections
        self._timings["reduce"] = _ms(t0)
        checked = self._tools.checker.check(raw, self._passages)
        if not checked.text:
            return sections  # nothing survived the check: keep the checked notes
        self._unsupported += checked.unsupported
        return [Section("Sammanfattning", checked.text)]

    # -- changes between two versions ------------------------------------------------------

    def _changes(self) -> Generator[Progress | Section, None, list[Section]]:
        old, new = older_first(self._docs)
        yield Progress(0, 1, f"{old.file} → {new.file}")
        added: list[str] = []
        removed: list[str] = []
        for change in changes(self._texts[old.doc_id], self._texts[new.doc_id]):
            line = f"{change.sentence} [{self._cite(change.passage, change.sentence)}]"
            (added if change.added else removed).append(line)
        self._timings["first_section"] = _ms(self._t0)
        sections = change_sections(old, new, added, removed, self._length)
        yield from sections
        yield Progress(1, 1, "")
        return sections

    # -- the result ----------------------------------------------------------------------

    def _summary(self, sections: list[Section], left_out: list[str]) -> Summary:
        used = {int(n) for s in sections for n in re.findall(r"\[(\d+)\]", s.text)}
        citations = [
            Source.of(n, self._passages[n - 1], self._quotes.get(n))
            for n in range(1, len(self._passages) + 1)
            if n in used
        ]
        body = "\n\n".join(
            s.text if len(sections) == 1 else f"### {s.heading}\n\n{s.text}" for s in sections
        )
        if self._kind == "staff" and body:
            header = "| Vad gäller | Vem | När / belopp |\n|---|---|---|\n"
            body = "\n\n".join(
                f"### {s.heading}\n\n{header}{s.text}" if s.text.startswith("|") else s.text
                for s in sections
            )
        return Summary(
            summary=body,
            kind=self._kind,
            documents=[d.file for d in self._docs],
            citations=citations,
            unsupported=list(dict.fromkeys(self._unsupported)),
            left_out=left_out,
            model=self._chat.name if self._chat is not None else "extractive",
            timings_ms=self._timings,
            sections=sections,
            notice=self._notice,
            audience=self._audience,
            length=self._length,
            sources=[_source_row(d) for d in self._docs],
        )


def _source(p: Passage) -> str:
    """Where a passage is, as the summary prompts name it: "Riktlinje, s. 3 – Ansökan"."""
    page = (p.page_label or p.page,) if p.page else ()
    return where(p.title or p.file, page, p.heading, heading_sep=" – ")


def _whole_sentences(raw: str) -> str:
    """The note without a last sentence cut off by the token limit (it is not a claim)."""
    text = raw.rstrip()
    if not text or _SENTENCE_END.search(text[-12:] if len(text) > 12 else text):
        return text
    ends = list(re.finditer(r"[.!?](\s*\[\d+(?:\s*[,;]\s*\d+)*\])*|\n", text))
    return text[: ends[-1].end()].rstrip() if ends else text


def _source_row(doc: DocumentInfo) -> dict[str, str]:
    return {
        "file": doc.file,
        "title": doc.title,
        "designation": doc.designations[0].upper() if doc.designations else "",
        "date": doc.decision_date or "",
    }


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
