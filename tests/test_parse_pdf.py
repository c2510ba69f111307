"""PDF parsing on real documents, OCR of a scanned page, and bad PDFs."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
from _corpus import CORPUS, corpus_file
from pypdf import PdfReader, PdfWriter

from assistant.settings import IngestSettings
from ingest.errors import DocumentError, Reason
from ingest.model import ParsedDocument
from ingest.parse import parse_file

SETTINGS = IngestSettings()


def _block_with(doc: ParsedDocument, text: str):
    return next(b for b in doc.blocks if text in b.text)


def test_sentence_is_found_on_its_true_page() -> None:
    doc = parse_file(corpus_file("Ds_1998-10_rattsinformation.pdf"), SETTINGS)
    assert doc.page_count == 172
    # Printed page 21 ("Ds 1998:10 21" in its header) is the 21st page of the file.
    block = _block_with(doc, "Riksdagens förvaltningskontor fick")
    assert block.page == 21
    assert block.heading_path[0] == "2 Det nuvarande rättsdatasystemet"  # a bookmark


def test_running_headers_are_dropped() -> None:
    doc = parse_file(corpus_file("Ds_1998-10_rattsinformation.pdf"), SETTINGS)
    assert not any(b.text.strip().startswith("Ds 1998:10 ") for b in doc.blocks)


def test_bookmarks_give_heading_paths_and_title() -> None:
    doc = parse_file(corpus_file("SFS_1999-175_rattsinformationsforordning.pdf"), SETTINGS)
    assert doc.title == "Rättsinformationsförordning"
    heading = next(b for b in doc.blocks if b.kind == "title" and b.text == "Förarbeten m.m.")
    assert heading.page == 2
    body = _block_with(doc, "5 § Rättsinformationssystemet skall innehålla")
    assert body.heading_path[-2:] == ("Obligatoriskt innehåll", "Förarbeten m.m.")


def test_swedish_letters_and_joined_hyphenation() -> None:
    doc = parse_file(corpus_file("SFS_1999-175_rattsinformationsforordning.pdf"), SETTINGS)
    text = doc.text
    assert "ett offentligt rättsinformationssystem" in text  # "of-fentligt" joined
    assert "grundförfattningarna i deras lydelse med införda ändringar" in text
    assert "\ufffe" not in text
    assert "\uf0b7" not in text


def test_headings_found_in_page_text_without_bookmarks() -> None:
    doc = parse_file(corpus_file("karlshamn_it-och-informationssakerhetspolicy_2018.pdf"), SETTINGS)
    block = _block_with(doc, "IT-system System som används för att skapa")
    assert block.page == 1
    assert block.heading_path[-1] == "Definitioner"


def test_all_corpus_pdfs_parse_with_their_pages() -> None:
    # Parsing speed is measured by bench/ingest.py, not asserted here.
    pdfs = sorted(CORPUS.glob("*.pdf"))
    if not pdfs:
        pytest.skip(f"shared corpus missing: {CORPUS}")
    for path in pdfs:
        doc = parse_file(path, SETTINGS)
        assert doc.blocks
        assert all(1 <= b.page <= doc.page_count for b in doc.blocks if b.page)


def test_scanned_page_is_ocrd_in_swedish(tmp_path: Path) -> None:
    # An image-only PDF made from a real 1990s regulation page (the corpus has no pure scans).
    source = pdfium.PdfDocument(corpus_file("BFS_1992-46_bostadsanpassningsbidrag.pdf"))
    image = source[0].render(scale=200 / 72, grayscale=True).to_pil()
    scan = tmp_path / "skannad.pdf"
    image.save(scan, resolution=200)
    doc = parse_file(scan, SETTINGS)
    assert doc.ocr_pages == 1
    assert all(b.ocr and b.page == 1 for b in doc.blocks)
    assert "bostadsanpassningsbidrag" in doc.text
    assert "Intyg av arbetsterapeut, läkare" in doc.text
    assert "föreskrifter" in doc.text


def test_scanned_page_without_ocr_has_no_text(tmp_path: Path) -> None:
    source = pdfium.PdfDocument(corpus_file("BFS_1992-46_bostadsanpassningsbidrag.pdf"))
    scan = tmp_path / "skannad.pdf"
    source[0].render(scale=1).to_pil().save(scan)
    with pytest.raises(DocumentError) as caught:
        parse_file(scan, IngestSettings(ocr=False))
    assert caught.value.reason is Reason.NO_TEXT
    assert "ingest.ocr" in caught.value.message


def test_encrypted_pdf(tmp_path: Path) -> None:
    writer = PdfWriter(
        clone_from=PdfReader(corpus_file("SFS_2000-80_andring_rattsinformationsforordning.pdf"))
    )
    writer.encrypt(user_password="hemligt", owner_password="hemligt", algorithm="AES-128")
    path = tmp_path / "krypterad.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(DocumentError) as caught:
        parse_file(path, SETTINGS)
    assert caught.value.reason is Reason.ENCRYPTED
    assert "password" in caught.value.message


@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_truncated_pdf_is_corrupt(tmp_path: Path, keep: float) -> None:
    data = corpus_file("Dir_2009-71_skolgang_barn_utan_tillstand.pdf").read_bytes()
    path = tmp_path / "avbruten.pdf"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(DocumentError) as caught:
        parse_file(path, SETTINGS)
    assert caught.value.reason is Reason.CORRUPT
    assert "damaged or truncated" in caught.value.message


def test_garbage_after_pdf_header_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "skrap.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    with pytest.raises(DocumentError) as caught:
        parse_file(path, SETTINGS)
    assert caught.value.reason is Reason.CORRUPT


def test_too_many_pages(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_file(
            corpus_file("Dir_2016-15_dataskyddsforordningen.pdf"), IngestSettings(max_pages=10)
        )
    assert caught.value.reason is Reason.TOO_LARGE
    assert "28 pages" in caught.value.message
