"""Where the shared real-document corpus lives (never copied into the repository), the
shipped golden suites, and the parsed documents both are checked against."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import IngestSettings
from ingest.model import ParsedDocument
from ingest.parse import parse_file

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "sv-public"
SUITES = Path(__file__).resolve().parents[1] / "evals" / "suites"


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"shared corpus file missing: {path} (see /work/shared/corpus/sv-public)")
    return path


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def load_suite(path: Path) -> list[dict[str, Any]]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{path.name}:{number}: empty line"
        case = json.loads(line)
        assert isinstance(case, dict), f"{path.name}:{number}: not a JSON object"
        cases.append(case)
    return cases


@cache
def parsed(path: Path) -> ParsedDocument:
    return parse_file(path, IngestSettings())
