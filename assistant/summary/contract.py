"""What a summary hands out: the kinds of draft, the progress and sections of one being
written, and the checked ``Summary`` the app, the CLI and ``assistant summarize --json``
show.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assistant.query.contract import Source, source_contract

Kind = Literal["summary", "key-points", "staff", "changes"]
Audience = Literal["staff", "committee", "residents"]
Length = Literal["short", "long"]
KINDS: tuple[Kind, ...] = ("summary", "key-points", "staff", "changes")


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
