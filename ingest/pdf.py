"""PDF: text with pypdfium2 (pypdf as fallback), headings from bookmarks, OCR for scans.

Per page we read the text once, then look at one character per line (position, font
size, weight) to cut paragraphs and spot headings; no per-character Python loops.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from assistant.settings import IngestSettings
from ingest import ocr
from ingest.clean import clean_inline, clean_text, repeated_edge_lines
from ingest.errors import DocumentError, Reason
from ingest.model import Block, BlockKind, ParsedDocument
from ingest.pdf_fallback import parse_with_pypdf

log = logging.getLogger(__name__)

_BULLET = re.compile(r"^(\uf0b7|[•▪◦●■–—-]\s|\(?[a-zA-Z0-9]{1,3}[.)]\s)")
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\s+[A-ZÅÄÖ]|^(\d{1,2}) kap\.(\s|$)")
_SENTENCE_END = ".:!?"
_ITALIC = 64  # PDF font descriptor flags
_FORCE_BOLD = 262144
_JUNK_TITLE = re.compile(r"^microsoft (word|powerpoint|excel) - |\.(docx?|indd|pdf|qxd|rtf)$", re.I)


@dataclass
class _Line:
    text: str
    top: float
    bottom: float
    left: float
    right: float
    size: float
    bold: bool
    italic: bool = False


@dataclass
class _Para:
    lines: list[_Line]
    heading: bool

    @property
    def top(self) -> float:
        return self.lines[0].top

    def text(self, column_right: float) -> str:
        out = self.lines[0].text
        for prev, line in itertools.pairwise(self.lines):
            wrapped = prev.right >= 0.8 * column_right and not prev.text.endswith("-")
            out += (" " if wrapped else "\n") + line.text
        return out


def parse_pdf(path: Path, settings: IngestSettings) -> ParsedDocument:
    """Parse a PDF into located blocks; raises ``DocumentError`` for unusable files."""
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise DocumentError(
                Reason.ENCRYPTED,
                "PDF is encrypted (password protected); remove the password or export an "
                "unprotected copy",
            ) from exc
        log.info("pypdfium2 cannot open %s (%s); trying pypdf", path, exc)
        return parse_with_pypdf(path, settings, cause=str(exc))
    try:
        return _parse(pdf, path, settings)
    finally:
        pdf.close()


def _parse(pdf: pdfium.PdfDocument, path: Path, settings: IngestSettings) -> ParsedDocument:
    count = len(pdf)
    if count == 0:
        raise DocumentError(Reason.CORRUPT, "PDF has no pages (damaged or truncated file)")
    if count > settings.max_pages:
        raise DocumentError(
            Reason.TOO_LARGE,
            f"PDF has {count} pages, over the {settings.max_pages} page limit (ingest.max_pages)",
        )
    pages: list[list[_Line]] = []
    for index in range(count):
        page = pdf[index]
        try:
            pages.append(_page_lines(page))
        finally:
            page.close()
    for lines, drop in zip(
        pages, repeated_edge_lines([[ln.text for ln in p] for p in pages]), strict=True
    ):
        lines[:] = [line for i, line in enumerate(lines) if i not in drop]

    all_lines = [line for lines in pages for line in lines]
    sizes: Counter[int] = Counter()
    for line in all_lines:
        sizes[round(line.size)] += len(line.text)
    body_size = float(sizes.most_common(1)[0][0]) if sizes else 10.0
    bold_chars = sum(len(ln.text) for ln in all_lines if ln.bold)
    body_bold = bold_chars > sum(len(ln.text) for ln in all_lines) / 2
    bookmarks = _bookmarks(pdf)
    heading_sizes = sorted(
        {round(ln.size) for ln in all_lines if ln.size >= body_size * 1.2}, reverse=True
    )

    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    bookmark_level = 0  # in-page headings nest under the current bookmark
    ocr_pages = 0
    ocr_problem: DocumentError | None = None
    for index, lines in enumerate(pages):
        label = pdf.get_page_label(index) or None
        chars = sum(len(ln.text.strip()) for ln in lines)
        if chars < settings.ocr_min_chars and settings.ocr and _has_images(pdf, index):
            try:
                text = _ocr(pdf, index, settings)
            except DocumentError as exc:
                ocr_problem = exc
                continue
            if text:
                ocr_pages += 1
                path_now = tuple(h for _, h in stack)
                blocks.extend(
                    Block(p, "text", index + 1, label, path_now, ocr=True)
                    for p in re.split(r"\n\s*\n", text)
                    if p.strip()
                )
            continue
        paras = _paragraphs(lines, body_size, body_bold)
        column_right = max((ln.right for ln in lines), default=0.0)
        marks = _place_bookmarks([b for b in bookmarks if b[2] == index], paras)
        for pos, para in enumerate(paras):
            for level, title in marks.get(pos, []):
                stack = [(lv, h) for lv, h in stack if lv < level] + [(level, title)]
                bookmark_level = level
            text = clean_text(para.text(column_right))
            if not text:
                continue
            is_bookmark = any(_norm(t) == _norm(text) for _, t in marks.get(pos, []))
            if para.heading and not is_bookmark:
                level = bookmark_level + _heading_level(para, text, heading_sizes)
                title = clean_inline(text)
                stack = [(lv, h) for lv, h in stack if lv < level] + [(level, title)]
            path_now = tuple(h for _, h in stack)
            if is_bookmark or para.heading:
                blocks.append(Block(clean_inline(text), "title", index + 1, label, path_now))
            else:
                kind: BlockKind = "list" if _BULLET.match(para.lines[0].text) else "text"
                blocks.append(Block(text, kind, index + 1, label, path_now))
    if not blocks and ocr_problem is not None:
        raise ocr_problem
    return ParsedDocument(
        path=path,
        format="pdf",
        title=_metadata_title(pdf),
        blocks=blocks,
        page_count=count,
        ocr_pages=ocr_pages,
    )


def _page_lines(page: pdfium.PdfPage) -> list[_Line]:
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count > 0 else ""
        exact = len(text) == count  # one str index per pdfium character (BMP text)
        lines: list[_Line] = []
        pos = 0
        for raw in text.split("\r\n"):
            start, stripped = pos + len(raw) - len(raw.lstrip()), raw.strip()
            pos += len(raw) + 2
            if not stripped:
                continue
            if exact:
                end = start + len(stripped) - 1
                left, bottom, _, top = textpage.get_charbox(start, loose=True)
                right = textpage.get_charbox(end, loose=True)[2]
                # Loose box height follows the rendered font size even when the PDF sets
                # size 1 and scales with the text matrix (FPDFText_GetFontSize then says 1).
                size = top - bottom
                styles = [_font_style(textpage, i) for i in (start, end)]
                bold = all(b for b, _ in styles)
                italic = all(i for _, i in styles)
            else:
                left = bottom = top = right = size = 0.0
                bold = italic = False
            lines.append(_Line(stripped, top, bottom, left, right, float(size), bold, italic))
        return lines
    finally:
        textpage.close()


def _font_style(textpage: pdfium.PdfTextPage, index: int) -> tuple[bool, bool]:
    """(bold, italic) of one character, from weight, font flags and font name."""
    flags = ctypes.c_int(0)
    name = ctypes.create_string_buffer(128)
    pdfium_c.FPDFText_GetFontInfo(textpage, index, name, 128, ctypes.byref(flags))
    font = name.value.lower()
    bold = (
        pdfium_c.FPDFText_GetFontWeight(textpage, index) >= 600
        or bool(flags.value & _FORCE_BOLD)
        or b"bold" in font
        or b"black" in font
    )
    italic = bool(flags.value & _ITALIC) or b"italic" in font or b"oblique" in font
    return bold, italic


def _paragraphs(lines: list[_Line], body_size: float, body_bold: bool) -> list[_Para]:
    if not lines:
        return []
    pitches = [a.bottom - b.bottom for a, b in itertools.pairwise(lines)]
    pitch = _median([p for p in pitches if p > 0]) or body_size * 1.2
    margin = min(ln.left for ln in lines)
    paras: list[_Para] = []
    for line in lines:
        heading = _is_heading_line(line, body_size, body_bold)
        prev_para = paras[-1] if paras else None
        if prev_para is not None:
            prev = prev_para.lines[-1]
            gap = prev.bottom - line.bottom
            same_style = (
                abs(prev.size - line.size) < 0.6
                and prev.bold == line.bold
                and prev.italic == line.italic
            )
            ends = prev.text[-1] in _SENTENCE_END
            new = (
                heading != prev_para.heading
                or (heading and not same_style)
                or gap > 1.6 * pitch
                or gap < -0.5 * pitch  # moved up: a new column or a text box
                or (not heading and abs(prev.size - line.size) >= 1.5)
                or bool(_BULLET.match(line.text))
                or (ends and margin + 4 < line.left < margin + 40 and line.left > prev.left)
                or (ends and prev.right < 0.75 * max(ln.right for ln in lines))
                or (heading and gap > 1.3 * pitch)
            )
            if not new:
                prev_para.lines.append(line)
                continue
        paras.append(_Para([line], heading))
    return paras


def _is_heading_line(line: _Line, body_size: float, body_bold: bool) -> bool:
    text = line.text
    if len(text) > 100 or text[-1] in ",;" or not any(c.isalpha() for c in text):
        return False
    if line.size >= body_size * 1.2 and len(text) <= 100:
        return True
    if text[-1] in _SENTENCE_END and not _NUMBERED_HEADING.match(text):
        return False
    if (line.bold or line.italic) and not body_bold and len(text) <= 80:
        return True
    return bool(_NUMBERED_HEADING.match(text)) and len(text) <= 80 and line.bold


def _heading_level(para: _Para, text: str, heading_sizes: list[int]) -> int:
    match = _NUMBERED_HEADING.match(text)
    if match and match.group(1):
        return match.group(1).count(".") + 1
    if match:
        return 1
    first = para.lines[0]
    larger = sum(1 for s in heading_sizes if s > round(first.size))
    return larger + 1 + (1 if first.italic and not first.bold else 0)


def _bookmarks(pdf: pdfium.PdfDocument) -> list[tuple[int, str, int, float | None]]:
    """(level 1-based, title, page index, top y or None) for each bookmark with a target."""
    marks: list[tuple[int, str, int, float | None]] = []
    try:
        toc = list(pdf.get_toc(max_depth=8))
    except pdfium.PdfiumError:
        return marks
    for item in toc:
        dest = item.get_dest()
        title = clean_inline(item.get_title())
        if dest is None or not title:
            continue
        page_index = dest.get_index()
        if page_index is None or page_index < 0:
            continue
        mode, view = dest.get_view()
        top: float | None = None
        if mode == pdfium_c.PDFDEST_VIEW_XYZ and len(view) >= 2:
            top = view[1]
        elif mode in (pdfium_c.PDFDEST_VIEW_FITH, pdfium_c.PDFDEST_VIEW_FITBH) and view:
            top = view[0]
        marks.append((item.level + 1, title, page_index, top))
    return marks


def _place_bookmarks(
    marks: list[tuple[int, str, int, float | None]], paras: list[_Para]
) -> dict[int, list[tuple[int, str]]]:
    """Before which paragraph each of the page's bookmarks starts: by text, else position.

    A paragraph that starts with the bookmark's title (the heading was set in body type)
    is split so the title stands alone; ``paras`` is changed in place.
    """
    placed: dict[int, list[tuple[int, str]]] = {}
    cursor = 0
    for level, title, _, top in marks:
        wanted = _norm(title)
        found = None
        for pos in range(cursor, len(paras)):
            para = paras[pos]
            for take in range(1, min(3, len(para.lines)) + 1):
                head = _norm(" ".join(ln.text for ln in para.lines[:take]))
                if head == wanted:
                    if take < len(para.lines):
                        paras[pos : pos + 1] = [
                            _Para(para.lines[:take], True),
                            _Para(para.lines[take:], False),
                        ]
                    found = pos
                    break
                if not wanted.startswith(head):
                    break
            if found is not None:
                break
        if found is None:
            found = cursor
            if top is not None:
                found = next(
                    (p for p in range(cursor, len(paras)) if paras[p].top <= top + 5), len(paras)
                )
            found = min(found, max(len(paras) - 1, 0))
        cursor = found
        placed.setdefault(found, []).append((level, title))
    return placed


def _norm(text: str) -> str:
    return " ".join(clean_inline(text).casefold().split())


def _has_images(pdf: pdfium.PdfDocument, index: int) -> bool:
    page = pdf[index]
    try:
        return any(obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects())
    finally:
        page.close()


def _ocr(pdf: pdfium.PdfDocument, index: int, settings: IngestSettings) -> str:
    page = pdf[index]
    try:
        return clean_text(ocr.ocr_page(page, settings))
    except subprocess.TimeoutExpired as exc:
        raise DocumentError(
            Reason.NO_TEXT,
            f"OCR of scanned page {index + 1} took longer than {settings.ocr_timeout_s} s "
            "(ingest.ocr_timeout_s)",
        ) from exc
    finally:
        page.close()


def _metadata_title(pdf: pdfium.PdfDocument) -> str:
    title = clean_inline(pdf.get_metadata_value("Title") or "")
    if len(title) < 3 or _JUNK_TITLE.search(title) or not any(c.isalpha() for c in title):
        return ""
    return title


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
