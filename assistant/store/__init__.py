"""The vector store: one schema and one set of operations over two Qdrant back ends.

* ``EdgeStore``: the Qdrant engine in-process (``qdrant-edge-py``), the default; one
  owner at a time, guarded by a file lock.
* ``ServerStore``: a Qdrant server or cluster through ``qdrant-client``.

llama-index's ``QdrantVectorStore`` cannot drive Qdrant Edge and fuses hybrid results in
Python, so the few operations we need are written here once for both engines.
"""

from __future__ import annotations

from assistant.settings import Settings
from assistant.store.access import EVERYONE, normalise_groups, parse_groups
from assistant.store.base import (
    DENSE,
    SPARSE,
    DocState,
    Fusion,
    Hit,
    Search,
    SearchMode,
    StoredPoint,
    VectorStore,
    chunk_point_id,
    collection_name,
)

__all__ = [
    "DENSE",
    "EVERYONE",
    "SPARSE",
    "DocState",
    "Fusion",
    "Hit",
    "Search",
    "SearchMode",
    "StoredPoint",
    "VectorStore",
    "chunk_point_id",
    "collection_name",
    "normalise_groups",
    "open_store",
    "parse_groups",
]


def open_store(settings: Settings) -> VectorStore:
    """Open the configured store: a server when a URL is set, else the embedded engine."""
    if settings.store.url:
        from assistant.store.server import ServerStore

        return ServerStore.connect(settings)
    from assistant.store.edge import EdgeStore

    return EdgeStore.open(settings)
