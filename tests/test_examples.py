"""The bundled example document set (fictional Norrbacka kommun) builds into every format
with the properties the ingestion pipeline and the evaluation suite rely on."""

from __future__ import annotations

import email
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import docx
import openpyxl
import pptx
import pypdfium2 as pdfium
import pytest

from examples.build import build_examples
from examples.catalog import DOCUMENTS, readers_of
from examples.markup import load_source

EXPECTED_SUFFIXES = {".pdf", ".docx", ".pptx", ".xlsx", ".html", ".md", ".txt", ".eml"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out_dir = tmp_path_factory.mktemp("norrbacka")
    return out_dir, build_examples(out_dir)


def _doc(built: tuple[Path, list[Path]], relative: str) -> Path:
    out_dir, paths = built
    path = out_dir / relative
    assert path in paths
    return path


def _pdf_text(path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(path)
    try:
        return [pdf[index].get_textpage().get_text_range() for index in range(len(pdf))]
    finally:
        pdf.close()


def _docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _pptx_text(path: Path) -> str:
    presentation = pptx.Presentation(str(path))
    return "\n".join(
        shape.text_frame.text
        for slide in presentation.slides
        for shape in slide.shapes
        if shape.has_text_frame
    )


def _xlsx_text(path: Path) -> str:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return "\n".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    finally:
        workbook.close()


def _email(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def _email_text(path: Path) -> str:
    body = _email(path).get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


TEXT_EXTRACTORS: dict[str, Callable[[Path], str]] = {
    "pdf": lambda path: "\n".join(_pdf_text(path)),
    "docx": _docx_text,
    "pptx": _pptx_text,
    "xlsx": _xlsx_text,
    "html": lambda path: path.read_text(encoding="utf-8"),
    "md": lambda path: path.read_text(encoding="utf-8"),
    "txt": lambda path: path.read_text(encoding="utf-8"),
    "txt-cp1252": lambda path: path.read_text(encoding="cp1252"),
    "eml": _email_text,
}


def test_document_count_and_formats(built: tuple[Path, list[Path]]) -> None:
    out_dir, paths = built
    assert 18 <= len(paths) <= 22
    assert len(set(paths)) == len(paths)
    assert all(path.is_file() and path.stat().st_size > 0 for path in paths)
    assert {path.suffix for path in paths} == EXPECTED_SUFFIXES
    formats = {spec.format for spec in DOCUMENTS}
    assert formats == set(TEXT_EXTRACTORS) | {"scanned-pdf"}
    assert sum(spec.format == "docx" for spec in DOCUMENTS) >= 2
    assert sum(spec.format == "md" for spec in DOCUMENTS) >= 2
    assert 3 <= sum(spec.language == "en" for spec in DOCUMENTS) <= 4
    assert sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("access.toml")) == [
        "chefer/access.toml",
        "hr/access.toml",
    ]


def test_every_text_bearing_document_has_the_metadata_block(
    built: tuple[Path, list[Path]],
) -> None:
    out_dir, _ = built
    for spec in DOCUMENTS:
        if spec.format == "scanned-pdf":
            continue
        text = TEXT_EXTRACTORS[spec.format](out_dir / spec.path)
        for label in ("Dokumenttyp:", "Beslutad av:", "Beslutsdatum:", "Diarienummer:"):
            assert label in text, f"{spec.path} lacks {label}"


def test_sources_are_sized_like_real_documents() -> None:
    for spec in DOCUMENTS:
        words = len(load_source(spec.source).raw.split())
        assert 300 <= words <= 1500, f"{spec.source}: {words} words"


def test_pdf_has_pages_outline_table_header_and_page_numbers(
    built: tuple[Path, list[Path]],
) -> None:
    path = _doc(built, "ekonomi/resepolicy.pdf")
    pages = _pdf_text(path)
    assert len(pages) >= 4
    for number, text in enumerate(pages, start=1):
        assert "Norrbacka kommun – Resepolicy" in text
        assert f"Sida {number} av {len(pages)}" in text
    whole = "\n".join(pages)
    assert "Kommundirektören" in whole  # a table cell
    assert "1 800 kr" in whole
    pdf = pdfium.PdfDocument(path)
    try:
        titles = [item.get_title() for item in pdf.get_toc()]
    finally:
        pdf.close()
    assert "Resepolicy för Norrbacka kommun" in titles
    assert {"Boende", "Reseräkning", "Vem godkänner resan"} <= set(titles)


def test_scanned_pdf_has_no_text_layer(built: tuple[Path, list[Path]]) -> None:
    pages = _pdf_text(_doc(built, "samhallsbyggnad/bygglov-handlaggningsrutin.pdf"))
    assert 1 <= len(pages) <= 2
    assert all(text.strip() == "" for text in pages)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_scanned_pdf_is_ocr_readable_in_swedish(
    built: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    languages = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False
    ).stdout.split()
    if "swe" not in languages:
        pytest.skip("tesseract has no Swedish language data")
    pdf = pdfium.PdfDocument(_doc(built, "samhallsbyggnad/bygglov-handlaggningsrutin.pdf"))
    try:
        image = tmp_path / "page1.png"
        page = pdf[0].render(scale=300 / 72).to_pil()
        page.crop((0, 0, page.width, page.height * 2 // 5)).save(image)  # keeps OCR quick
    finally:
        pdf.close()
    result = subprocess.run(
        ["tesseract", str(image), "-", "-l", "swe"], capture_output=True, text=True, check=True
    )
    assert "Dokumenttyp: rutin" in result.stdout
    assert "handläggning av bygglov" in result.stdout
    assert "inom två arbetsdagar" in result.stdout


def test_docx_has_heading_levels_and_a_table(built: tuple[Path, list[Path]]) -> None:
    document = docx.Document(str(_doc(built, "personal/foraldraledighet.docx")))
    styles = {paragraph.style.name for paragraph in document.paragraphs if paragraph.style}
    assert {"Heading 1", "Heading 2", "Heading 3"} <= styles
    assert document.tables
    assert document.tables[0].cell(0, 0).text == "Ledighetsform"


def test_pptx_has_title_and_bullet_slides(built: tuple[Path, list[Path]]) -> None:
    presentation = pptx.Presentation(str(_doc(built, "it/it-sakerhet-nyanstallda.pptx")))
    slides = list(presentation.slides)
    assert len(slides) >= 5
    title = slides[0].shapes.title
    assert title is not None
    assert title.text_frame.text == "IT-säkerhet för nyanställda"
    assert "minst 14 tecken" in _pptx_text(_doc(built, "it/it-sakerhet-nyanstallda.pptx"))


def test_xlsx_has_several_sheets_with_numbers(built: tuple[Path, list[Path]]) -> None:
    workbook = openpyxl.load_workbook(_doc(built, "ekonomi/traktamente-milersattning-2025.xlsx"))
    assert len(workbook.sheetnames) >= 2
    assert workbook.sheetnames[0] == "Dokumentinfo"
    rows = list(workbook["Inrikes traktamente"].iter_rows(values_only=True))
    assert ("Heldagstraktamente", 300, "Hel dag borta") in rows


def test_html_is_an_intranet_page_with_main_content(built: tuple[Path, list[Path]]) -> None:
    html = _doc(built, "samhallsbyggnad/parkeringstillstand.html").read_text(encoding="utf-8")
    for tag in ("<nav", "<footer", "<main", "<h1>", "<h2>", "<ul>", "<li>"):
        assert tag in html


def test_cp1252_text_is_not_utf8(built: tuple[Path, list[Path]]) -> None:
    (spec,) = [spec for spec in DOCUMENTS if spec.format == "txt-cp1252"]
    data = _doc(built, spec.path).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("cp1252")
    assert "ä" in text
    assert "å" in text
    assert "ö" in text


def test_eml_has_headers_body_and_attachment(built: tuple[Path, list[Path]]) -> None:
    message = _email(_doc(built, "sakerhet/krisberedskap-meddelande.eml"))
    assert "krisberedskap@norrbacka.se" in str(message["From"])
    assert message["Subject"]
    assert message["Date"]
    assert "0999-10 112" in _email_text(_doc(built, "sakerhet/krisberedskap-meddelande.eml"))
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_filename() == "checklista-elavbrott.txt"
    assert "Checklista vid långvarigt elavbrott" in str(attachments[0].get_content())


def test_access_toml_files(built: tuple[Path, list[Path]]) -> None:
    out_dir, paths = built
    hr = tomllib.loads((out_dir / "hr" / "access.toml").read_text(encoding="utf-8"))
    chefer = tomllib.loads((out_dir / "chefer" / "access.toml").read_text(encoding="utf-8"))
    assert hr == {"groups": ["hr"]}
    assert chefer["groups"] == ["chefer", "hr"]
    assert chefer["files"] == {"lonetabell-2025.xlsx": ["hr"]}
    for name, files in chefer["files"].items():
        assert (out_dir / "chefer" / name) in paths
        assert files
    restricted = [p for p in paths if p.relative_to(out_dir).parts[0] in ("hr", "chefer")]
    assert 3 <= sum(p.parent.name == "hr" for p in restricted) <= 4
    assert 2 <= sum(p.parent.name == "chefer" for p in restricted) <= 3
    assert readers_of("chefer/lonetabell-2025.xlsx") == ("hr",)
    assert readers_of("chefer/lonerevision-2025-instruktion.md") == ("chefer", "hr")
    assert readers_of("personal/semester.md") is None


def test_superseded_pair_is_marked() -> None:
    old = load_source("friskvardsbidrag-2023")
    new = load_source("friskvardsbidrag-2025")
    replaced_by, replaces = old.meta("Ersatt av"), new.meta("Ersätter")
    assert replaced_by is not None
    assert replaces is not None
    assert str(new.meta("Diarienummer")) in replaced_by
    assert str(old.meta("Diarienummer")) in replaces
    assert "UPPHÄVD" in old.raw
    assert "2 000 kronor" in old.raw
    assert "3 000 kronor" in new.raw


def test_build_is_deterministic(built: tuple[Path, list[Path]], tmp_path: Path) -> None:
    out_dir, paths = built
    again = build_examples(tmp_path)
    assert [p.relative_to(tmp_path) for p in again] == [p.relative_to(out_dir) for p in paths]
    for first, second in zip(paths, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.relative_to(out_dir)
