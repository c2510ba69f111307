"""PDF writers: a born-digital report (fpdf2, with outline, tables, running header and page
numbers) and an image-only "scanned" PDF rendered with Pillow (no text layer)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fpdf import FPDF, FontFace
from PIL import Image, ImageDraw, ImageFont

from examples.markup import Block, Heading, ListBlock, PageBreak, Paragraph, Source, Table

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

_HEADING_SIZES = {1: 18.0, 2: 14.0, 3: 12.0}
_BODY_SIZE = 11.0
_LINE_HEIGHT = 6.0


def require_fonts() -> None:
    missing = [str(path) for path in (FONT_REGULAR, FONT_BOLD) if not path.is_file()]
    if missing:
        raise FileNotFoundError(
            f"DejaVu fonts not found ({', '.join(missing)}); install the fonts-dejavu-core package"
        )


# --- born-digital PDF -------------------------------------------------------------------


class _ReportPDF(FPDF):
    def __init__(self, running_header: str) -> None:
        super().__init__(format="A4")
        self.running_header = running_header
        self.add_font("DejaVu", "", str(FONT_REGULAR))
        self.add_font("DejaVu", "B", str(FONT_BOLD))
        self.set_margins(22, 22, 22)
        self.set_auto_page_break(auto=True, margin=22)

    def header(self) -> None:
        self.set_font("DejaVu", "", 8.5)
        self.set_text_color(90, 90, 90)
        self.set_y(10)
        self.cell(0, 5, self.running_header, align="L")
        self.line(self.l_margin, 16, self.w - self.r_margin, 16)
        self.set_text_color(0, 0, 0)
        self.set_y(22)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("DejaVu", "", 8.5)
        self.set_text_color(90, 90, 90)
        self.cell(0, 8, f"Sida {self.page_no()} av {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def _pdf_heading(pdf: _ReportPDF, block: Heading) -> None:
    if block.level > 1:
        pdf.ln(3)
    if pdf.will_page_break(_LINE_HEIGHT * 4):
        pdf.add_page()
    pdf.start_section(block.text, level=block.level - 1)
    pdf.set_font("DejaVu", "B", _HEADING_SIZES[block.level])
    pdf.multi_cell(0, _HEADING_SIZES[block.level] * 0.5, block.text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", _BODY_SIZE)


def _pdf_list(pdf: _ReportPDF, block: ListBlock) -> None:
    for number, item in enumerate(block.items, start=1):
        marker = f"{number}." if block.ordered else "•"
        indent = pdf.l_margin + 4 + 6 * item.level
        pdf.set_x(indent)
        pdf.cell(6, _LINE_HEIGHT, marker)
        pdf.multi_cell(0, _LINE_HEIGHT, item.text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _pdf_table(pdf: _ReportPDF, block: Table) -> None:
    pdf.set_font("DejaVu", "", 9.5)
    with pdf.table(
        headings_style=FontFace(emphasis="BOLD", fill_color=(225, 232, 240)),
        line_height=5.5,
        padding=1.5,
    ) as table:
        for row in (block.header, *block.rows):
            table_row = table.row()
            for text in row:
                table_row.cell(text)
    pdf.ln(4)
    pdf.set_font("DejaVu", "", _BODY_SIZE)


def _pdf_block(pdf: _ReportPDF, block: Block) -> None:
    if isinstance(block, Heading):
        _pdf_heading(pdf, block)
    elif isinstance(block, Paragraph):
        pdf.multi_cell(0, _LINE_HEIGHT, block.text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    elif isinstance(block, ListBlock):
        _pdf_list(pdf, block)
    elif isinstance(block, Table):
        _pdf_table(pdf, block)
    elif isinstance(block, PageBreak):
        pdf.add_page()


def write_pdf(source: Source, path: Path, running_header: str, timestamp: datetime) -> None:
    require_fonts()
    pdf = _ReportPDF(running_header)
    pdf.set_title(source.title)
    pdf.set_author("Norrbacka kommun")
    pdf.set_creator("Norrbacka kommun, exempeldokument")
    pdf.set_lang("sv-SE")
    pdf.set_creation_date(timestamp)
    pdf.add_page()
    pdf.set_font("DejaVu", "", 9)
    for line in source.metadata_lines:
        pdf.cell(0, 4.8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", _BODY_SIZE)
    for block in source.blocks:
        _pdf_block(pdf, block)
    pdf.output(str(path))


# --- scanned (image-only) PDF -----------------------------------------------------------

_DPI = 300
_PAGE_SIZE = (2480, 3508)  # A4 at 300 dpi
_MARGIN = 280
_PX_PER_PT = _DPI / 72


class _ScanPages:
    """Lays out text line by line onto white A4 page images."""

    def __init__(self) -> None:
        self.pages: list[Image.Image] = []
        self.y = 0
        self._draw: ImageDraw.ImageDraw | None = None
        self._new_page()

    def _new_page(self) -> None:
        page = Image.new("L", _PAGE_SIZE, color=255)
        self.pages.append(page)
        self._draw = ImageDraw.Draw(page)
        self.y = _MARGIN

    def _font(self, size_pt: float, bold: bool) -> ImageFont.FreeTypeFont:
        path = FONT_BOLD if bold else FONT_REGULAR
        return ImageFont.truetype(str(path), round(size_pt * _PX_PER_PT))

    def _wrap(self, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}".strip()
            if current and font.getlength(candidate) > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        return [*lines, current] if current else lines

    def write(self, text: str, size_pt: float = 11.5, bold: bool = False, indent: int = 0) -> None:
        font = self._font(size_pt, bold)
        line_height = round(size_pt * _PX_PER_PT * 1.45)
        width = _PAGE_SIZE[0] - 2 * _MARGIN - indent
        for line in self._wrap(text, font, width):
            if self.y + line_height > _PAGE_SIZE[1] - _MARGIN:
                self._new_page()
            assert self._draw is not None
            self._draw.text((_MARGIN + indent, self.y), line, fill=0, font=font)
            self.y += line_height

    def space(self, points: float) -> None:
        self.y += round(points * _PX_PER_PT)


def _scan_block(pages: _ScanPages, block: Block) -> None:
    if isinstance(block, Heading):
        pages.space(8 if block.level > 1 else 0)
        pages.write(block.text, size_pt=_HEADING_SIZES[block.level], bold=True)
        pages.space(4)
    elif isinstance(block, Paragraph):
        pages.write(block.text)
        pages.space(6)
    elif isinstance(block, ListBlock):
        for item in block.items:
            pages.write(f"– {item.text}", indent=60 + 80 * item.level)
        pages.space(6)
    elif isinstance(block, Table):
        for row in (block.header, *block.rows):
            pages.write("   ".join(row), bold=row is block.header)
        pages.space(6)


def write_scanned_pdf(source: Source, path: Path, timestamp: datetime) -> None:
    """Render the text onto 300-dpi page images and save them as an image-only PDF."""
    require_fonts()
    pages = _ScanPages()
    for line in source.metadata_lines:
        pages.write(line)
    pages.space(14)
    for block in source.blocks:
        _scan_block(pages, block)
    first, *rest = pages.pages
    first.save(
        path,
        "PDF",
        save_all=True,
        append_images=rest,
        resolution=float(_DPI),
        title=source.title,
        author="Norrbacka kommun",
        producer="Skanner Kontorsplan 2",
        creationDate=timestamp.timetuple(),
        modDate=timestamp.timetuple(),
    )
