"""Chunk records for tests that build passages or store points by hand."""

from __future__ import annotations

from typing import Any

from assistant.store.access import EVERYONE
from assistant.store.record import ChunkRecord


def chunk_record(doc_id: str = "doc", text: str = "Text.", **fields: Any) -> ChunkRecord:
    """A record of chunk 0 of a one-chunk document readable by everyone, unless told."""
    values: dict[str, Any] = {
        "doc_id": doc_id,
        "index_key": "v1",
        "content_hash": "0" * 64,
        "chunk_count": 1,
        "source": f"/docs/{doc_id}.md",
        "file": f"{doc_id}.md",
        "rel_path": f"{doc_id}.md",
        "title": doc_id,
        "format": "md",
        "groups": (EVERYONE,),
        "modified": "2026-11-23T00:00:00+00:00",
        "indexed_at": "2026-11-23T00:00:00+00:00",
        "doc_lang": "sv",
        "chunk_index": 0,
        "text": text,
        "kind": "text",
        "tokens": max(1, len(text) // 4),
        "lang": "sv",
    }
    return ChunkRecord.model_validate(values | fields)
