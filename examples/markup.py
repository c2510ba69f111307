"""Parser for the small Markdown subset used by the document sources in ``examples/content``.

A source file starts with a metadata block (``Label: value`` lines up to the first blank
line), followed by blocks: ``#``/``##``/``###`` headings, paragraphs, bullet lists
(``- item``, indented two spaces per nesting level), numbered lists (``1. item``), pipe
tables and the page-break marker ``<!-- pagebreak -->`` (honoured only by the PDF writer).
There is no inline markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable

CONTENT_DIR: Traversable = files("examples.content")  # a package, so the wheel holds it
PAGEBREAK_MARKER = "<!-- pagebreak -->"

_METADATA_LINE = re.compile(r"^([A-ZÅÄÖ][\wåäö ]*): (.+)$")
_HEADING_LINE = re.compile(r"^(#{1,3}) (.+)$")
_BULLET_LINE = re.compile(r"^( *)- (.+)$")
_NUMBERED_LINE = re.compile(r"^( *)\d+\. (.+)$")
_TABLE_RULE = re.compile(r"^\|[\s:|-]+\|$")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class ListItem:
    level: int
    text: str


@dataclass(frozen=True)
class ListBlock:
    items: tuple[ListItem, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | ListBlock | Table | PageBreak


@dataclass(frozen=True)
class Source:
    """A parsed document source: its raw text, metadata block and content blocks."""

    name: str
    raw: str
    metadata: tuple[tuple[str, str], ...]
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        for block in self.blocks:
            if isinstance(block, Heading) and block.level == 1:
                return block.text
        return self.name

    def meta(self, label: str) -> str | None:
        for key, value in self.metadata:
            if key == label:
                return value
        return None

    @property
    def metadata_lines(self) -> list[str]:
        return [f"{key}: {value}" for key, value in self.metadata]


def _split_row(line: str) -> tuple[str, ...]:
    return tuple(cell.strip() for cell in line.strip().strip("|").split("|"))


def _parse_metadata(lines: list[str]) -> tuple[tuple[tuple[str, str], ...], int]:
    metadata: list[tuple[str, str]] = []
    index = 0
    while index < len(lines) and (match := _METADATA_LINE.match(lines[index])):
        metadata.append((match.group(1), match.group(2).strip()))
        index += 1
    return tuple(metadata), index


def _parse_table(lines: list[str], start: int) -> tuple[Table, int]:
    header = _split_row(lines[start])
    index = start + 1
    if index < len(lines) and _TABLE_RULE.match(lines[index].strip()):
        index += 1
    rows: list[tuple[str, ...]] = []
    while index < len(lines) and lines[index].startswith("|"):
        rows.append(_split_row(lines[index]))
        index += 1
    return Table(header=header, rows=tuple(rows)), index


def _list_match(line: str) -> tuple[re.Match[str] | None, bool]:
    bullet = _BULLET_LINE.match(line)
    if bullet:
        return bullet, False
    return _NUMBERED_LINE.match(line), True


def _parse_list(lines: list[str], start: int) -> tuple[ListBlock, int]:
    items: list[ListItem] = []
    _, ordered = _list_match(lines[start])
    index = start
    while index < len(lines):
        match, _ = _list_match(lines[index])
        if match is None:
            break
        items.append(ListItem(level=len(match.group(1)) // 2, text=match.group(2).strip()))
        index += 1
    return ListBlock(items=tuple(items), ordered=ordered), index


def _parse_paragraph(lines: list[str], start: int) -> tuple[Paragraph, int]:
    parts: list[str] = []
    index = start
    while index < len(lines):
        line = lines[index]
        if not line.strip() or _HEADING_LINE.match(line) or line.startswith("|"):
            break
        if _list_match(line)[0] is not None or line.strip() == PAGEBREAK_MARKER:
            break
        parts.append(line.strip())
        index += 1
    return Paragraph(" ".join(parts)), index


def parse_blocks(lines: list[str]) -> tuple[Block, ...]:
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        heading = _HEADING_LINE.match(line)
        if not line.strip():
            index += 1
        elif line.strip() == PAGEBREAK_MARKER:
            blocks.append(PageBreak())
            index += 1
        elif heading:
            blocks.append(Heading(level=len(heading.group(1)), text=heading.group(2).strip()))
            index += 1
        elif line.startswith("|"):
            table, index = _parse_table(lines, index)
            blocks.append(table)
        elif _list_match(line)[0] is not None:
            list_block, index = _parse_list(lines, index)
            blocks.append(list_block)
        else:
            paragraph, index = _parse_paragraph(lines, index)
            blocks.append(paragraph)
    return tuple(blocks)


def parse_source(name: str, text: str) -> Source:
    lines = text.splitlines()
    metadata, body_start = _parse_metadata(lines)
    return Source(name=name, raw=text, metadata=metadata, blocks=parse_blocks(lines[body_start:]))


def load_source(name: str) -> Source:
    """Load and parse ``examples/content/<name>.md``."""
    path = CONTENT_DIR / f"{name}.md"
    return parse_source(name, path.read_text(encoding="utf-8"))
