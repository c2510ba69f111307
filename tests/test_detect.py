"""Bad inputs are refused with the right reason before any parser library sees them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from _corpus import corpus_file

from assistant.settings import IngestSettings
from ingest.detect import detect_format, sniff
from ingest.errors import DocumentError, Reason
from ingest.parse import parse_file

SETTINGS = IngestSettings()


def _refused(path: Path, settings: IngestSettings = SETTINGS) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        parse_file(path, settings)
    return caught.value


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("SFS_1999-175_rattsinformationsforordning.pdf", "pdf"),
        ("Prop_2012-13-144_sjofartsstod.docx", "docx"),
        ("Regeringen_prop_2012-13-187_vissa_skolfragor.html", "html"),
        ("SFS_2017-900_forvaltningslag.md", "md"),
        ("lunds_universitet_anstallningsvillkor_2022.txt", "txt"),
    ],
)
def test_real_files_are_detected_as_their_extension(name: str, fmt: str) -> None:
    assert detect_format(corpus_file(name), SETTINGS) == fmt


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "tom.pdf"
    path.write_bytes(b"")
    error = _refused(path)
    assert error.reason is Reason.EMPTY
    assert "0 bytes" in error.message


def test_unknown_extension_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "ritning.dwg"
    path.write_bytes(b"AC1032 drawing")
    error = _refused(path)
    assert error.reason is Reason.UNSUPPORTED
    assert "'.dwg'" in error.message
    assert ".pdf" in error.message


def test_docx_renamed_to_pdf_is_mislabelled(tmp_path: Path) -> None:
    path = tmp_path / "beslut.pdf"
    path.write_bytes(corpus_file("Prop_2012-13-144_sjofartsstod.docx").read_bytes())
    error = _refused(path)
    assert error.reason is Reason.MISLABELLED
    assert "named .pdf" in error.message
    assert "Word document (DOCX)" in error.message
    assert "rename it to .docx" in error.message


def test_text_named_docx_is_mislabelled(tmp_path: Path) -> None:
    path = tmp_path / "protokoll.docx"
    path.write_text("Protokoll från kommunstyrelsens sammanträde.\n", encoding="utf-8")
    error = _refused(path)
    assert error.reason is Reason.MISLABELLED
    assert "plain text" in error.message
    assert ".docx" in error.message


def test_text_named_pdf_is_mislabelled(tmp_path: Path) -> None:
    path = tmp_path / "protokoll.pdf"
    path.write_text("Detta är ingen PDF utan vanlig text.\n", encoding="utf-8")
    assert sniff(path) == "text"
    assert _refused(path).reason is Reason.MISLABELLED


def test_file_over_size_limit_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "stor.txt"
    path.write_text("Kommunen " * 3000, encoding="utf-8")  # ~27 kB
    error = _refused(path, IngestSettings(max_file_mb=0.01))
    assert error.reason is Reason.TOO_LARGE
    assert "0.01 MB limit" in error.message


def test_zip_bomb_disguised_as_docx_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(1024):  # 1 GB of zeros, ~1 MB on disk
                member.write(chunk)
    assert path.stat().st_size < 5 * 1024 * 1024
    error = _refused(path)
    assert error.reason is Reason.ZIP_BOMB
    assert "zip bomb" in error.message
    assert "1024 MB" in error.message


def test_zip_bomb_within_unpacked_limit_still_refused_by_ratio(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"\0" * (50 * 1024 * 1024))
    error = _refused(path)
    assert error.reason is Reason.ZIP_BOMB
    assert ":1" in error.message


def test_broken_zip_is_corrupt(tmp_path: Path) -> None:
    data = corpus_file("Prop_2012-13-144_sjofartsstod.docx").read_bytes()
    path = tmp_path / "trasig.docx"
    path.write_bytes(data[: len(data) // 3])
    error = _refused(path)
    assert error.reason is Reason.CORRUPT
    assert "damaged zip" in error.message
