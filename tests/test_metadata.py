from __future__ import annotations

from pathlib import Path

import pytest

from assistant.text.language import detect_language
from ingest.metadata import document_fields
from ingest.model import Block, ParsedDocument


def _doc(text: str, title: str = "Dokument", name: str = "doc.md") -> ParsedDocument:
    return ParsedDocument(Path(name), "md", title, [Block(text)])


def test_header_block_fields_are_read() -> None:
    doc = _doc(
        "Riktlinje för friskvårdsbidrag\n"
        "Dokumenttyp: Riktlinje\n"
        "Beslutad av: Kommunstyrelsen\n"
        "Beslutsdatum: 2024-11-05\n"
        "Diarienummer: KS 2024/0412\n"
        "Gäller till: 2026-12-31\n"
        "Ersatt av: Riktlinje för friskvårdsbidrag 2025\n"
    )
    assert document_fields(doc) == {
        "doc_type": "riktlinje",
        "decided_by": "Kommunstyrelsen",
        "decision_date": "2024-11-05",
        "registration_number": "KS 2024/0412",
        "valid_until": "2026-12-31",
        "superseded_by": "Riktlinje för friskvårdsbidrag 2025",
        "superseded": True,
    }


def test_type_falls_back_to_the_title_and_open_ended_validity_is_kept() -> None:
    fields = document_fields(
        _doc("Gäller till: Tills vidare\nText.", title="IT- och informationssäkerhetspolicy")
    )
    assert fields == {"valid_until": "Tills vidare", "doc_type": "policy"}


def test_nothing_is_invented() -> None:
    assert document_fields(_doc("Bara en vanlig text om ingenting särskilt.")) == {}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hur många dagar semester har jag rätt till om jag är anställd?", "sv"),
        ("How many days of annual leave am I entitled to as an employee?", "en"),
        ("Friskvårdsbidrag", "sv"),
        ("The contractor must report incidents to the municipality within 24 hours.", "en"),
    ],
)
def test_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang
