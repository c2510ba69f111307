"""One page of a PDF as a PNG, with the cited passage marked where the text layer has it."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

_SCALE = 1.5  # 108 dpi: readable on screen, small enough to send
_MARK = (255, 214, 0, 90)  # translucent yellow
_FALLBACK_WORDS = 8  # when the whole quote is not found, mark where its start is


def render_page(pdf_file: Path | bytes, page: int, quote: str = "") -> bytes | None:
    """The 1-based ``page`` of the PDF (a path, or its bytes) as PNG bytes, or None when it
    cannot be rendered."""
    try:
        pdf = pdfium.PdfDocument(pdf_file)
    except (pdfium.PdfiumError, OSError):
        return None
    try:
        if not 1 <= page <= len(pdf):
            return None
        pdf_page = pdf[page - 1]
        image = pdf_page.render(scale=_SCALE).to_pil().convert("RGBA")
        boxes = _quote_boxes(pdf_page, quote)
        if boxes:
            overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(overlay)
            for box in boxes:
                draw.rectangle(box, fill=_MARK)
            image = Image.alpha_composite(image, overlay)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", optimize=True)
        return out.getvalue()
    except pdfium.PdfiumError:
        return None
    finally:
        pdf.close()


def _quote_boxes(page: pdfium.PdfPage, quote: str) -> list[tuple[float, float, float, float]]:
    """Rectangles (image pixels) covering the quote, or its first words, on the page."""
    words = quote.split()
    if not words:
        return []
    textpage = page.get_textpage()
    try:
        for needle in (" ".join(words), " ".join(words[:_FALLBACK_WORDS])):
            found = textpage.search(needle, match_case=False).get_next()
            if found:
                break
        else:
            return []
        index, count = found
        height = page.get_height()
        boxes = []
        for i in range(textpage.count_rects(index, count)):
            left, bottom, right, top = textpage.get_rect(i)
            boxes.append(
                (
                    left * _SCALE - 2,
                    (height - top) * _SCALE - 2,
                    right * _SCALE + 2,
                    (height - bottom) * _SCALE + 2,
                )
            )
        return boxes
    finally:
        textpage.close()
