"""DOCX, PPTX, XLSX, HTML and e-mail through unstructured, on real and generated files."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from _corpus import corpus_file
from lxml import html as lxml_html
from pptx import Presentation
from pptx.util import Inches

from assistant.settings import IngestSettings
from ingest.parse import parse_file

SETTINGS = IngestSettings()


def test_docx_headings_and_core_title() -> None:
    doc = parse_file(corpus_file("Prop_2012-13-144_sjofartsstod.docx"), SETTINGS)
    assert doc.format == "docx"
    block = next(b for b in doc.blocks if b.heading_path[-1:] == ("Det svenska sjöfartsstödet",))
    assert block.heading_path == ("Sjöfartsstödets inriktning", "Det svenska sjöfartsstödet")
    assert not any(b.text.startswith("Prop. 2012/13:") and len(b.text) < 20 for b in doc.blocks)


def test_docx_table_text_is_kept_row_by_row() -> None:
    doc = parse_file(corpus_file("AD_2013-63_tillfallig_foraldrapenning.docx"), SETTINGS)
    table = next(b for b in doc.blocks if b.kind == "table")
    assert "Målnummer: | B-114-2012" in table.text.splitlines()
    assert "Lagrum: | 16 § föräldraledighetslagen (1995:584)" in table.text


def test_html_navigation_is_dropped_and_main_text_kept() -> None:
    path = corpus_file("Arbetsmiljoverket_AFS_2011-19_webbsida.html")
    doc = parse_file(path, SETTINGS)
    assert doc.title == "Kemiska arbetsmiljörisker (AFS 2011:19), föreskrifter"
    assert "Föreskrifterna specificerar kraven på ett systematiskt arbetsmiljöarbete" in doc.text
    source = " ".join(lxml_html.parse(str(path)).getroot().text_content().split())
    for chrome in ("Other languages", "Säkerhetskultur – ett samspel mellan människor"):
        assert chrome in source  # site header / footer menu in the page
        assert chrome not in doc.text


def test_pptx_slides_are_pages(tmp_path: Path) -> None:
    deck = Presentation()
    for title, body in [
        ("Välkommen", "Första dagen på förvaltningen"),
        ("Lösenord", "Byt lösenord var 90:e dag"),
    ]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    table = deck.slides[1].shapes.add_table(2, 2, Inches(1), Inches(4), Inches(4), Inches(1)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "System", "Ansvarig"
    table.cell(1, 0).text, table.cell(1, 1).text = "Ärendehantering", "Åsa Öberg"
    path = tmp_path / "introduktion.pptx"
    deck.save(str(path))
    doc = parse_file(path, SETTINGS)
    assert doc.page_count == 2
    block = next(b for b in doc.blocks if "90:e dag" in b.text)
    assert block.page == 2
    assert block.heading_path == ("Lösenord",)
    assert any(b.kind == "table" and "Ärendehantering | Åsa Öberg" in b.text for b in doc.blocks)


def test_xlsx_one_table_per_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Traktamente"
    sheet.append(["Resa", "Belopp"])
    sheet.append(["Heldag Sverige", 290])
    other = book.create_sheet("Milersättning")
    other.append(["Fordon", "Kronor per mil"])
    other.append(["Egen bil", 25])
    path = tmp_path / "ersattningar.xlsx"
    book.save(path)
    doc = parse_file(path, SETTINGS)
    tables = [b for b in doc.blocks if b.kind == "table"]
    assert [t.heading_path for t in tables] == [("Traktamente",), ("Milersättning",)]
    assert "Heldag Sverige | 290" in tables[0].text
    assert doc.title == "ersattningar"


def test_eml_fields_body_and_attachment(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = "Åsa Öberg <asa.oberg@exempel.se>"
    message["To"] = "registrator@exempel.se"
    message["Subject"] = "Beslut om förskoleplacering"
    message["Date"] = "Mon, 13 Oct 2025 08:30:00 +0200"
    message.set_content("Hej!\n\nHär kommer beslutet om förskoleplacering för hösten.\n")
    pdf = corpus_file("SFS_2000-80_andring_rattsinformationsforordning.pdf")
    message.add_attachment(
        pdf.read_bytes(), maintype="application", subtype="pdf", filename="forordning.pdf"
    )
    path = tmp_path / "beslut.eml"
    path.write_bytes(bytes(message))
    doc = parse_file(path, SETTINGS)
    assert doc.fields["sender"] == "Åsa Öberg <asa.oberg@exempel.se>"
    assert doc.fields["subject"] == doc.title == "Beslut om förskoleplacering"
    assert doc.fields["date"] == "2025-10-13T08:30:00+02:00"
    assert "beslutet om förskoleplacering för hösten" in doc.text
    attached = [b for b in doc.blocks if b.heading_path[:1] == ("Bilaga: forordning.pdf",)]
    assert len(attached) > 3
    assert any(b.page == 1 for b in attached)
    assert any("rättsinformationsförordningen" in b.text for b in attached)


@pytest.mark.parametrize("name", ["NJA_2014_s499_T3592-13_diskrimineringsersattning.docx"])
def test_court_export_docx_keeps_swedish_text(name: str) -> None:
    doc = parse_file(corpus_file(name), SETTINGS)
    assert "Diskrimineringsersättning" in doc.text
    assert "Högsta domstolen" in doc.text
