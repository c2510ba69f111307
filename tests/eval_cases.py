"""A small golden set over the example documents, shared by the evaluation tests."""

from __future__ import annotations

import json
from collections.abc import Sequence

CASES = [
    {
        "id": "sem-1",
        "question": "När ska sommarsemester sökas?",
        "answer": "Senast den 31 mars.",
        "source_file": "semester.md",
        "source_page": None,
        "evidence": "Sommarsemester söks senast den 31 mars.",
        "type": "factual",
        "lang": "sv",
    },
    {
        "id": "hotell-1",
        "question": "Vad är högsta hotellpris i Stockholm?",
        "answer": "1 800 kr per natt inklusive frukost.",
        "source_file": "resepolicy.pdf",
        "source_page": 3,
        "evidence": "Stockholm, Göteborg och Malmö 1 800 kr",
        "type": "factual",
        "lang": "sv",
    },
    {
        "id": "buss-1",
        "question": "Vad kostar ett busskort för pensionärer?",
        "answer": "",
        "source_file": "",
        "source_page": None,
        "evidence": "",
        "type": "unanswerable",
        "lang": "sv",
    },
    {
        "id": "lon-1",
        "question": "Hur stort är löneutrymmet 2025?",
        "answer": "3,4 procent av lönesumman.",
        "source_file": "lonerevision-2025-instruktion.md",
        "source_page": None,
        "evidence": "Kommunstyrelsen har beslutat om ett totalt löneutrymme på 3,4 procent",
        "type": "factual",
        "lang": "sv",
        "groups": ["chefer", "hr"],
    },
]

MINI = CASES[:3]  # two answerable cases and one unanswerable


def jsonl(cases: Sequence[dict[str, object]]) -> bytes:
    """Cases as the JSONL file a suite is."""
    return ("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n").encode()
