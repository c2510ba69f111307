"""What both store back ends share: the schema, the records, and the interface."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

DENSE = "dense"  # the named dense vector
SPARSE = "bm25"  # the named sparse vector (Swedish BM25, IDF applied by Qdrant)
EVERYONE = "*"  # the access group of documents anyone may read

# Payload fields with an index: every filter we run uses one of these.
KEYWORD_FIELDS = (
    "doc_id",
    "groups",
    "source",
    "index_key",
    "file",
    "format",
    "lang",
    "doc_type",
)
# Payload fields that describe a document's indexed state (read by sync and status).
STATE_FIELDS = [
    "doc_id",
    "index_key",
    "chunk_count",
    "source",
    "file",
    "title",
    "format",
    "indexed_at",
]


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
class StoredPoint:
    id: str
    dense: list[float]
    sparse_indices: list[int]
    sparse_values: list[float]
    payload: dict[str, Any]


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    payload: dict[str, Any]


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

    def complete_key(self) -> str | None:
        """The index key whose chunks are all present, if exactly one version is stored."""
        complete = [k for k, n in self.keys.items() if n == self.chunk_count.get(k)]
        return complete[0] if len(complete) == 1 and len(self.keys) == 1 else None

    @property
    def points(self) -> int:
        return sum(self.keys.values())


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

    def search(
        self,
        *,
        dense: list[float] | None,
        sparse: tuple[list[int], list[float]] | None,
        groups: Sequence[str],
        limit: int,
        mode: SearchMode = SearchMode.HYBRID,
        prefetch_limit: int = 50,
        fusion: Fusion = "rrf",
    ) -> list[Hit]:
        """Top passages a reader of ``groups`` may see; the filter runs inside Qdrant."""
        ...

    def get_points(self, ids: Sequence[str]) -> list[Hit]: ...

    def passages_with_term(self, term: int, groups: Sequence[str], cap: int) -> int:
        """How many passages ``groups`` may read contain a BM25 term (counting stops at cap)."""
        ...

    def optimize(self) -> None: ...

    def close(self) -> None: ...


def readable_by(groups: Sequence[str]) -> list[str]:
    """The group values a reader matches: their own groups plus 'everyone'."""
    return sorted({*(g.strip() for g in groups if g.strip()), EVERYONE})
