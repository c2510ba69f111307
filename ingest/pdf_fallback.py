"""PDF fallback: pypdf (pure Python) for files pypdfium2 refuses to open."""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError

from assistant.settings import IngestSettings
from ingest.clean import clean_text, repeated_edge_lines
from ingest.errors import DocumentError, Reason
from ingest.model import Block, ParsedDocument

log = logging.getLogger(__name__)


def parse_with_pypdf(path: Path, settings: IngestSettings, cause: str) -> ParsedDocument:
    """Text and page numbers only (no bookmarks, no OCR); ``cause`` is pdfium's complaint."""
    corrupt = DocumentError(
        Reason.CORRUPT,
        f"PDF is damaged or truncated and cannot be read ({cause}); "
        "re-export or re-download the original",
    )
    try:
        with warnings.catch_warnings():  # pypdf warns about every repair it attempts
            warnings.simplefilter("ignore")
            reader = PdfReader(path, strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise DocumentError(
                    Reason.ENCRYPTED,
                    "PDF is encrypted (password protected); remove the password or export "
                    "an unprotected copy",
                )
            count = len(reader.pages)
            if count > settings.max_pages:
                raise DocumentError(
                    Reason.TOO_LARGE,
                    f"PDF has {count} pages, over the {settings.max_pages} page limit "
                    "(ingest.max_pages)",
                )
            texts = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, FileNotDecryptedError, PyPdfError, ValueError, KeyError) as exc:
        log.info("pypdf cannot read %s either: %s", path, exc)
        raise corrupt from exc
    except (RecursionError, TypeError, AttributeError, IndexError) as exc:
        raise corrupt from exc
    pages = [text.splitlines() for text in texts]
    drops = repeated_edge_lines(pages)
    blocks: list[Block] = []
    for number, (lines, drop) in enumerate(zip(pages, drops, strict=True), start=1):
        kept = "\n".join(line for i, line in enumerate(lines) if i not in drop)
        for paragraph in re.split(r"\n\s*\n|(?<=[.:!?])\n(?=[A-ZÅÄÖ0-9])", clean_text(kept)):
            if paragraph.strip():
                blocks.append(Block(paragraph.strip(), "text", number))
    if not blocks:
        raise corrupt
    return ParsedDocument(path=path, format="pdf", title="", blocks=blocks, page_count=count)
