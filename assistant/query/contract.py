"""What the query path hands out: the passages it found, the sources and the answer the
app, the CLI and the JSON contracts show, the events of a streamed answer, and the one way
a passage's place is said in words (``where``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from assistant.query.versions import validity
from assistant.store import Hit
from assistant.store.record import ChunkRecord
from assistant.text.injection import MARKER

Form = Literal["written", "quoted"]
Mode = Literal["generative", "extractive"]
WhenFull = Literal["extractive", "refuse"]  # what a full line in front of the model gives


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, with what a citation needs."""

    chunk_id: str
    doc_id: str
    file: str
    source: str
    title: str
    page: int | None
    page_label: str | None
    heading: str | None
    text: str
    score: float  # rank score from Qdrant (RRF when hybrid)
    similarity: float  # cosine similarity to the question
    tokens: int  # of ``text``, which widening can make longer than the stored chunk
    record: ChunkRecord = field(repr=False, compare=False)

    def validity(self, today: date | None = None) -> str | None:
        """'superseded', 'expired' (valid-until date passed) or None for a document in force."""
        return validity(self.record, today)

    @classmethod
    def from_hit(cls, hit: Hit, similarity: float) -> Passage:
        r = hit.record
        return cls(
            chunk_id=hit.id,
            doc_id=r.doc_id,
            file=r.file,
            source=r.source,
            title=r.title,
            page=r.page,
            page_label=r.page_label,
            heading=r.heading,
            text=r.text,
            score=hit.score,
            similarity=similarity,
            tokens=r.tokens,
            record=r,
        )


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
    # The live page of a document mirrored from a web source (ingest/web.py), else None.
    url: str | None = None

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
            url=p.record.url,
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
    # "written" by the model, or "quoted": the documents' own sentences, the one that
    # states the asked fact first, led by where it stands ("Enligt …:").
    form: Form = "written"
    # The other form the answer step had for this question (the quote when the written
    # answer is shown, the written answer when the quote is), for evaluation; not part
    # of the JSON contract.
    alternative: str | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The documented contract of ``assistant ask --json``."""
        data = asdict(self)
        del data["ranked"]
        del data["alternative"]
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
        "url": source.get("url"),
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


def where(
    document: str | Sequence[str],
    pages: Sequence[int | str | None] = (),
    heading: str | None = None,
    *,
    sep: str = ", ",
    page_word: str = "s.",
    heading_sep: str | None = None,
    page_in_brackets: bool = False,
) -> str:
    """Where a passage is, in one line: its document, its page (the first and last of
    several: "s. 3–5") and its section, each left out when unknown.

    ``document`` is its name, or its names in order (file, title, designation). The
    surfaces keep their own forms through the keywords: ``sep`` between the parts
    ("Riktlinje, s. 3, Ansökan"; " · " in the app), ``page_word`` ("p." in English),
    ``heading_sep`` before the section when it differs ("Riktlinje, s. 3 – Ansökan", the
    summary prompt), ``page_in_brackets`` for the page last ("Riktlinje – Ansökan (s. 3)",
    the answer prompt).
    """
    names = [document] if isinstance(document, str) else list(document)
    shown = [p for p in pages if p]
    span = ""
    if shown:
        last = f"–{shown[-1]}" if len(shown) > 1 else ""
        span = f"{page_word} {shown[0]}{last}"
    if page_in_brackets:
        line = sep.join(x for x in (*names, heading) if x)
        return f"{line} ({span})" if span else line
    line = sep.join(x for x in (*names, span) if x)
    if heading:
        line = f"{line}{heading_sep or sep}{heading}" if line else heading
    return line
