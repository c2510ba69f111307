"""Public entry point of the parsing layer: one file in, one ``ParsedDocument`` out.

``parse_file`` sniffs the real type (``ingest.detect``), dispatches to the format's
parser and makes sure something readable came out. Every bad input raises
``DocumentError`` with a ``Reason`` and a message an administrator can act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from assistant.settings import IngestSettings
from ingest import mail, office
from ingest.clean import clean_inline
from ingest.detect import detect_format
from ingest.errors import DocumentError, Reason
from ingest.model import ParsedDocument
from ingest.pdf import parse_pdf
from ingest.text import parse_txt

# E-mails inside e-mails: parse attachments this deep, no deeper.
MAX_ATTACHMENT_DEPTH = 2


def parse_file(path: Path, settings: IngestSettings, *, _depth: int = 0) -> ParsedDocument:
    """Parse one file into blocks; raises ``DocumentError`` for anything we cannot use."""
    fmt = detect_format(path, settings)

    def parse_attachment(attachment: Path) -> ParsedDocument:
        if _depth >= MAX_ATTACHMENT_DEPTH:
            raise DocumentError(
                Reason.UNSUPPORTED, "Attachment nested too deep inside other e-mails"
            )
        return parse_file(attachment, settings, _depth=_depth + 1)

    parsers: dict[str, Callable[[], ParsedDocument]] = {
        "pdf": lambda: parse_pdf(path, settings),
        "docx": lambda: office.parse_docx(path),
        "pptx": lambda: office.parse_pptx(path),
        "xlsx": lambda: office.parse_xlsx(path),
        "html": lambda: office.parse_html(path),
        "md": lambda: office.parse_md(path),
        "txt": lambda: parse_txt(path),
        "eml": lambda: mail.parse_eml(path, parse_attachment),
        "msg": lambda: mail.parse_msg(path, parse_attachment),
    }
    try:
        document = parsers[fmt]()
    except PermissionError as exc:
        raise DocumentError(Reason.UNREADABLE, f"File cannot be read: {exc.strerror}") from exc
    document.blocks = [block for block in document.blocks if block.text.strip()]
    if not document.blocks:
        raise DocumentError(Reason.NO_TEXT, _no_text_message(fmt))
    document.title = document_title(document)
    return document


def document_title(document: ParsedDocument) -> str:
    """The parser's title (metadata), else the first heading, else the file name."""
    if document.title:
        return document.title
    first = next((b.text for b in document.blocks if b.kind == "title"), "")
    if first and len(first) <= 200 and document.format != "xlsx":  # xlsx: a sheet name
        return first
    return clean_inline(re.sub(r"[_-]+", " ", document.path.stem)) or document.path.name


def _no_text_message(fmt: str) -> str:
    if fmt == "pdf":
        return (
            "PDF contains no text: it may be a scan with OCR turned off (ingest.ocr) or "
            "pages with only images"
        )
    return "File contains no text"
