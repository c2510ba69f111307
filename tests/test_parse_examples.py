"""Every example document the product ships parses, with the features it was made to show."""

from __future__ import annotations

from pathlib import Path

from assistant.settings import IngestSettings
from examples.build import build_examples
from ingest.parse import parse_file


def test_every_example_parses(tmp_path: Path) -> None:
    paths = build_examples(tmp_path)
    assert paths
    docs = {path.name: parse_file(path, IngestSettings()) for path in paths}
    by_format: dict[str, list] = {}
    for doc in docs.values():
        assert doc.blocks
        assert doc.title
        by_format.setdefault(doc.format, []).append(doc)

    scanned = [d for d in by_format["pdf"] if d.ocr_pages]
    assert scanned, "the scanned example PDF was not OCR'd"
    assert any(c in scanned[0].text for c in "åäö")

    cp1252 = [d for d in by_format["txt"] if d.encoding in ("cp1252", "windows-1252")]
    assert cp1252
    assert "ä" in cp1252[0].text

    mail = by_format["eml"][0]
    assert {"sender", "subject"} <= set(mail.fields)
    assert any(b.heading_path[:1] and b.heading_path[0].startswith("Bilaga: ") for b in mail.blocks)

    for doc in by_format["docx"]:
        assert max(len(b.heading_path) for b in doc.blocks) >= 2, doc.path.name
