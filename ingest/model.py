"""What parsing hands to chunking: a document as a list of located blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

BlockKind = Literal["title", "text", "list", "table"]


@dataclass(frozen=True)
class Block:
    """A piece of a document's text with where it stands.

    ``page`` is 1-based and set only for paged formats (PDF, and slides for PPTX);
    ``heading_path`` is the chain of headings above the block, outermost first.
    A ``title`` block is a heading itself: its text is also the last heading-path entry
    of the blocks under it.
    """

    text: str
    kind: BlockKind = "text"
    page: int | None = None
    page_label: str | None = None
    heading_path: tuple[str, ...] = ()
    ocr: bool = False


@dataclass
class ParsedDocument:
    """A parsed file: its blocks in reading order and what we learned about it."""

    path: Path
    format: str  # pdf, docx, pptx, xlsx, html, md, txt, eml, msg
    title: str
    blocks: list[Block]
    page_count: int = 0  # pages for PDF, slides for PPTX, else 0
    ocr_pages: int = 0
    encoding: str | None = None  # text formats: the detected encoding
    fields: dict[str, str] = field(default_factory=dict)  # e.g. e-mail sender, subject, date

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)
