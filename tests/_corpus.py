"""Where the shared real-document corpus lives (never copied into the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "sv-public"


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"shared corpus file missing: {path} (see /work/shared/corpus/sv-public)")
    return path
