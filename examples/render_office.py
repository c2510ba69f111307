"""Writers for the Office Open XML formats: DOCX (python-docx), PPTX (python-pptx) and
XLSX (openpyxl). Zip entry dates and core-property timestamps are fixed afterwards so that
repeated builds give identical bytes."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
from docx.document import Document as DocxDocument
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from pptx import Presentation
from pptx.presentation import Presentation as PptxPresentation
from pptx.slide import Slide
from pptx.util import Pt

from examples.markup import Block, Heading, ListBlock, Paragraph, Source, Table

AUTHOR = "Norrbacka kommun"
_MODIFIED_ELEMENT = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def normalize_zip(path: Path, timestamp: datetime) -> None:
    """Rewrite an OOXML zip with fixed entry dates and a fixed ``dcterms:modified``."""
    stamp = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _MODIFIED_ELEMENT.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=timestamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    path.write_bytes(buffer.getvalue())


# --- DOCX -------------------------------------------------------------------------------


def _docx_list(document: DocxDocument, block: ListBlock) -> None:
    base = "List Number" if block.ordered else "List Bullet"
    for item in block.items:
        style = base if item.level == 0 else f"{base} {min(item.level + 1, 3)}"
        document.add_paragraph(item.text, style=style)


def _docx_table(document: DocxDocument, block: Table) -> None:
    table = document.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = "Table Grid"
    for col, text in enumerate(block.header):
        cell = table.cell(0, col)
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row_index, row in enumerate(block.rows, start=1):
        for col, text in enumerate(row):
            table.cell(row_index, col).text = text
    document.add_paragraph()


def _docx_block(document: DocxDocument, block: Block) -> None:
    if isinstance(block, Heading):
        document.add_heading(block.text, level=block.level)
    elif isinstance(block, Paragraph):
        document.add_paragraph(block.text)
    elif isinstance(block, ListBlock):
        _docx_list(document, block)
    elif isinstance(block, Table):
        _docx_table(document, block)


def write_docx(source: Source, path: Path, timestamp: datetime) -> None:
    document = docx.Document()
    props = document.core_properties
    props.title, props.author, props.last_modified_by = source.title, AUTHOR, AUTHOR
    props.created = props.modified = timestamp
    props.revision = 1
    for line in source.metadata_lines:
        document.add_paragraph(line).paragraph_format.space_after = Pt(0)
    for block in source.blocks:
        _docx_block(document, block)
    document.save(str(path))
    normalize_zip(path, timestamp)


# --- PPTX -------------------------------------------------------------------------------


def _set_title(slide: Slide, text: str) -> None:
    title = slide.shapes.title
    if title is None:
        raise ValueError("slide layout has no title placeholder")
    title.text_frame.text = text


def _pptx_title_slide(presentation: PptxPresentation, source: Source) -> None:
    slide = presentation.slides.add_slide(presentation.slide_layouts[0])
    _set_title(slide, source.title)
    frame = slide.placeholders[1].text_frame
    intro = [block.text for block in source.blocks if isinstance(block, Paragraph)][:1]
    lines = source.metadata_lines + intro
    frame.text = lines[0]
    for line in lines[1:]:
        frame.add_paragraph().text = line
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(12)


def _pptx_add_block(slide: Slide, block: Block, first: bool) -> bool:
    frame = slide.placeholders[1].text_frame
    if isinstance(block, ListBlock):
        items = [(item.level, item.text) for item in block.items]
    elif isinstance(block, Paragraph):
        items = [(0, block.text)]
    else:
        return first
    for level, text in items:
        paragraph = frame.paragraphs[0] if first else frame.add_paragraph()
        paragraph.text, paragraph.level, first = text, level, False
        for run in paragraph.runs:
            run.font.size = Pt(20 if level == 0 else 18)
    return first


def _pptx_content_slides(presentation: PptxPresentation, source: Source) -> None:
    slide: Slide | None = None
    first = True
    for block in source.blocks:
        if isinstance(block, Heading) and block.level == 2:
            slide = presentation.slides.add_slide(presentation.slide_layouts[1])
            _set_title(slide, block.text)
            first = True
        elif slide is not None:
            first = _pptx_add_block(slide, block, first)


def write_pptx(source: Source, path: Path, timestamp: datetime) -> None:
    presentation = Presentation()
    props = presentation.core_properties
    props.title, props.author, props.last_modified_by = source.title, AUTHOR, AUTHOR
    props.created = props.modified = timestamp.replace(tzinfo=None)
    props.revision = 1
    _pptx_title_slide(presentation, source)
    _pptx_content_slides(presentation, source)
    presentation.save(str(path))
    normalize_zip(path, timestamp)


# --- XLSX -------------------------------------------------------------------------------

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_BOLD = Font(bold=True)


def _cell_value(text: str) -> str | int | float:
    if _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    return text


def _xlsx_table(sheet: Worksheet, block: Table) -> None:
    sheet.append(list(block.header))
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    for row in block.rows:
        sheet.append([_cell_value(text) for text in row])
    sheet.append([])


def _xlsx_block(sheet: Worksheet, block: Block) -> None:
    if isinstance(block, Heading):
        sheet.append([block.text])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=13)
    elif isinstance(block, Paragraph):
        sheet.append([block.text])
    elif isinstance(block, ListBlock):
        for item in block.items:
            sheet.append([item.text])
    elif isinstance(block, Table):
        _xlsx_table(sheet, block)


def _xlsx_autowidth(sheet: Worksheet) -> None:
    for column in sheet.iter_cols(min_row=1, max_row=sheet.max_row):
        lengths = [len(str(cell.value)) for cell in column if cell.value is not None]
        table_lengths = [length for length in lengths if length <= 60] or [10]
        letter = column[0].column_letter
        sheet.column_dimensions[letter].width = min(max(table_lengths) + 2, 62)


def write_xlsx(source: Source, path: Path, timestamp: datetime) -> None:
    """First sheet ``Dokumentinfo`` holds metadata and introduction; each ``##`` heading
    starts a new sheet named after it."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Dokumentinfo"
    workbook.properties.creator = AUTHOR
    workbook.properties.title = source.title
    workbook.properties.created = timestamp.replace(tzinfo=None)
    for line in source.metadata_lines:
        sheet.append([line])
    sheet.append([])
    for block in source.blocks:
        if isinstance(block, Heading) and block.level == 2:
            _xlsx_autowidth(sheet)
            sheet = workbook.create_sheet(block.text[:31])
        _xlsx_block(sheet, block)
    _xlsx_autowidth(sheet)
    workbook.save(str(path))
    normalize_zip(path, timestamp)
