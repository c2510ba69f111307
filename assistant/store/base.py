"""What both store back ends share: the schema, the records, and the interface."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

from assistant.errors import StoreError
from assistant.settings import Settings
from assistant.store.record import SCHEMA_VERSION, ChunkRecord
from assistant.text.sparse import ANALYSIS_VERSION

DENSE = "dense"  # the named dense vector
SPARSE = "bm25"  # the named sparse vector (Swedish BM25, IDF applied by Qdrant)


def collection_name(settings: Settings) -> str:
    """Named after what shapes the vectors, so a change starts a fresh collection.

    The chunker's version is not part of it: it is part of every document's index key
    (``ingest.sync``), so a chunking change re-indexes documents in place.
    """
    shape = "|".join(
        str(part)
        for part in (
            settings.embedding.provider,
            settings.embedding.model,
            settings.embedding.dimensions,
            settings.embedding.passage_prefix,
            settings.ingest.chunk_tokens,
            settings.ingest.chunk_overlap,
            ANALYSIS_VERSION,
            SCHEMA_VERSION,
            settings.retrieval.compounds,
        )
    )
    digest = hashlib.sha256(shape.encode()).hexdigest()[:10]
    model = re.sub(r"[^a-z0-9]+", "-", settings.embedding.model.lower()).strip("-")[:40]
    prefix = re.sub(r"[^A-Za-z0-9_-]+", "-", settings.store.collection_prefix) or "docs"
    dims, size = settings.embedding.dimensions, settings.ingest.chunk_tokens
    return f"{prefix}_{model}_{dims}d_c{size}_{digest}"


_POINT_NAMESPACE = uuid.UUID("0f3c8a52-7d1e-4b6a-9e8f-2c5d1a7b9e34")


def chunk_point_id(doc_id: str, index_key: str, chunk_index: int) -> str:
    """The point id of a document version's chunk: stable, so neighbours can be looked up."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{doc_id}/{index_key}/{chunk_index}"))


# How Qdrant fuses the dense and sparse rankings: reciprocal rank fusion, or
# distribution-based score fusion (scores normalised by their spread).
Fusion = Literal["rrf", "dbsf"]


class SearchMode(StrEnum):
    DENSE = "dense"
    SPARSE = "sparse"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class Search:
    """One search: the question's vectors, the reader's groups, and how to rank.

    ``mode`` picks the side(s): hybrid needs both vectors and fuses them with ``fusion``
    after ``prefetch_limit`` candidates each; the access filter runs in every prefetch.
    """

    dense: list[float] | None
    sparse: tuple[list[int], list[float]] | None
    groups: Sequence[str]
    limit: int
    mode: SearchMode = SearchMode.HYBRID
    prefetch_limit: int = 50
    fusion: Fusion = "rrf"
    # Only passages whose field holds one of the values, e.g. {"designations": ["kl"]}.
    match: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredPoint:
    id: str
    dense: list[float]
    sparse_indices: list[int]
    sparse_values: list[float]
    record: ChunkRecord


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    record: ChunkRecord


@dataclass
class DocState:
    """One document as the store holds it; ``keys`` counts points per index key."""

    doc_id: str
    source: str
    file: str
    title: str
    format: str
    indexed_at: str
    chunk_count: dict[str, int] = field(default_factory=dict)  # index_key -> expected chunks
    keys: dict[str, int] = field(default_factory=dict)  # index_key -> points present
    groups: tuple[str, ...] = ()  # who may read it
    personal_numbers: int = 0  # personal identity numbers found in it
    personal_policy: str | None = None  # "mask" or "flag", when it holds any

    def complete_key(self) -> str | None:
        """The index key whose chunks are all present, if exactly one version is stored."""
        complete = [k for k, n in self.keys.items() if n == self.chunk_count.get(k)]
        return complete[0] if len(complete) == 1 and len(self.keys) == 1 else None

    @property
    def points(self) -> int:
        return sum(self.keys.values())


def parse_record(payload: dict[str, Any] | None) -> ChunkRecord:
    """A stored point's payload as the typed record it was written from."""
    try:
        return ChunkRecord.model_validate(payload or {})
    except ValueError as exc:
        raise StoreError(f"A stored chunk does not have the expected fields: {exc}") from exc


def fold_states(payloads: Iterable[dict[str, Any]]) -> dict[str, DocState]:
    """Aggregate per-point state payloads into per-document states."""
    states: dict[str, DocState] = {}
    for p in payloads:
        doc_id = str(p["doc_id"])
        state = states.get(doc_id)
        if state is None:
            state = states[doc_id] = DocState(
                doc_id=doc_id,
                source=str(p.get("source", "")),
                file=str(p.get("file", "")),
                title=str(p.get("title", "")),
                format=str(p.get("format", "")),
                indexed_at=str(p.get("indexed_at", "")),
                groups=tuple(str(g) for g in p.get("groups") or ()),
                personal_numbers=int(p.get("personal_numbers") or 0),
                personal_policy=p.get("personal_policy"),
            )
        key = str(p["index_key"])
        state.keys[key] = state.keys.get(key, 0) + 1
        state.chunk_count[key] = int(p.get("chunk_count", 0))
        state.indexed_at = max(state.indexed_at, str(p.get("indexed_at", "")))
    return states


class VectorStore(Protocol):
    """The operations the project needs from Qdrant, the same on every back end."""

    kind: str  # "embedded" or "server"
    location: str  # folder or URL, for status and messages
    collection: str

    def upsert(self, points: Sequence[StoredPoint]) -> None: ...

    def delete_doc(self, doc_id: str, keep_key: str | None = None) -> None:
        """Delete a document's points; with ``keep_key``, only other versions."""
        ...

    def doc_states(self) -> dict[str, DocState]: ...

    def count(self) -> int: ...

    def search(self, search: Search) -> list[Hit]:
        """Top passages a reader of ``search.groups`` may see; the filter runs inside Qdrant."""
        ...

    def get_points(self, ids: Sequence[str]) -> list[Hit]: ...

    def passages_with_term(self, term: int, groups: Sequence[str], cap: int) -> int:
        """How many passages ``groups`` may read contain a BM25 term (counting stops at cap)."""
        ...

    def optimize(self) -> None: ...

    def close(self) -> None: ...
