"""TXT and Markdown: encodings, headings, undecodable input."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from _corpus import corpus_file

from assistant.settings import IngestSettings
from ingest.errors import DocumentError, Reason
from ingest.parse import parse_file

SETTINGS = IngestSettings()


def test_real_txt_keeps_swedish_text_and_headings() -> None:
    doc = parse_file(corpus_file("lunds_universitet_anstallningsvillkor_2022.txt"), SETTINGS)
    assert doc.format == "txt"
    assert doc.encoding == "utf-8"
    assert "Lärare har årsarbetstid som regleras i ett lokalt avtal" in doc.text
    block = next(b for b in doc.blocks if b.text.startswith("Lärare har årsarbetstid"))
    assert block.heading_path[-1] == "1 Årsarbetstid för lärare"


def test_windows_1252_text_keeps_swedish_letters(tmp_path: Path) -> None:
    path = tmp_path / "gammal.txt"
    text = "FÖRSKOLA\n\nFörskolan öppnar klockan sex. Måltider serveras i matsalen på Ängsvägen.\n"
    path.write_bytes(text.encode("cp1252"))
    doc = parse_file(path, SETTINGS)
    assert doc.encoding == "cp1252"
    assert "Måltider serveras i matsalen på Ängsvägen" in doc.text
    assert doc.blocks[0].kind == "title"
    assert doc.blocks[0].text == "FÖRSKOLA"


def test_utf8_bom_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffÅtgärd för förskolan".encode())
    doc = parse_file(path, SETTINGS)
    assert doc.encoding == "utf-8-sig"
    assert doc.text.startswith("Åtgärd för förskolan")


def test_binary_noise_in_txt_is_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "brus.txt"
    path.write_bytes(random.Random(7).randbytes(20_000))
    with pytest.raises(DocumentError) as caught:
        parse_file(path, SETTINGS)
    assert caught.value.reason is Reason.UNDECODABLE
    assert "text" in caught.value.message


def test_markdown_headings_become_paths() -> None:
    doc = parse_file(corpus_file("SFS_2018-222_lag_om_bostadsanpassningsbidrag.md"), SETTINGS)
    assert doc.title == "Lag om bostadsanpassningsbidrag"
    block = next(b for b in doc.blocks if b.text.startswith("Kommunerna ansvarar för bidrag"))
    assert block.heading_path == (
        "Lag om bostadsanpassningsbidrag",
        "Inledande bestämmelser",
        "2 §",
    )
