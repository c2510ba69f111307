"""A Qdrant server or cluster through qdrant-client: same schema, same queries as Edge.

Tests drive this class through qdrant-client's ``:memory:`` mode, which speaks the same
API as a server.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ApiException

from assistant.errors import StoreError
from assistant.settings import Settings
from assistant.store.access import readable_by
from assistant.store.base import (
    DENSE,
    SPARSE,
    DocState,
    Fusion,
    Hit,
    SearchMode,
    StoredPoint,
    collection_name,
    fold_states,
    parse_record,
)
from assistant.store.record import FILTERED_FIELDS, STATE_FIELDS


class ServerStore:
    kind = "server"

    def __init__(self, client: QdrantClient, collection: str, location: str) -> None:
        self._client = client
        self.collection = collection
        self.location = location

    @classmethod
    def connect(cls, settings: Settings, client: QdrantClient | None = None) -> ServerStore:
        """Connect to ``settings.store.url`` (or use a given client) and ensure the schema."""
        url = settings.store.url or ":memory:"
        if client is None:
            api_key = settings.store.api_key
            client = QdrantClient(
                url=url,
                api_key=api_key.get_secret_value() if api_key else None,
                timeout=int(settings.store.timeout_s),
            )
        store = cls(client, collection_name(settings), url)
        try:
            store._ensure_collection(settings.embedding.dimensions)
        except (ApiException, OSError, ValueError) as exc:
            raise StoreError(f"Cannot use Qdrant at {url}: {exc}") from exc
        return store

    def _ensure_collection(self, dimensions: int) -> None:
        if self._client.collection_exists(self.collection):
            return
        self._client.create_collection(
            self.collection,
            vectors_config={
                DENSE: models.VectorParams(size=dimensions, distance=models.Distance.COSINE)
            },
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        with warnings.catch_warnings():
            # qdrant-client's in-memory mode warns that indexes have no effect there.
            warnings.filterwarnings("ignore", message=".*[Pp]ayload index.*")
            for name in FILTERED_FIELDS:
                self._client.create_payload_index(
                    self.collection, name, field_schema=models.PayloadSchemaType.KEYWORD
                )

    # -- writing -------------------------------------------------------------------------

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        self._client.upsert(
            self.collection,
            points=[
                models.PointStruct(
                    id=p.id,
                    vector={
                        DENSE: p.dense,
                        SPARSE: models.SparseVector(
                            indices=p.sparse_indices, values=p.sparse_values
                        ),
                    },
                    payload=p.record.payload(),
                )
                for p in points
            ],
            wait=True,
        )

    def delete_doc(self, doc_id: str, keep_key: str | None = None) -> None:
        must_not: list[models.Condition] | None = (
            [_match("index_key", keep_key)] if keep_key else None
        )
        self._client.delete(
            self.collection,
            points_selector=models.FilterSelector(
                filter=models.Filter(must=[_match("doc_id", doc_id)], must_not=must_not)
            ),
            wait=True,
        )

    def optimize(self) -> None:
        """The server optimises in the background; nothing to do."""

    def close(self) -> None:
        self._client.close()

    # -- reading -------------------------------------------------------------------------

    def count(self) -> int:
        return int(self._client.count(self.collection, exact=True).count)

    def doc_states(self) -> dict[str, DocState]:
        return fold_states(self._scroll_payloads(STATE_FIELDS))

    def _scroll_payloads(self, fields: list[str]) -> Iterator[dict[str, Any]]:
        offset: Any = None
        while True:
            records, offset = self._client.scroll(
                self.collection,
                offset=offset,
                limit=1000,
                with_payload=fields,
                with_vectors=False,
            )
            for r in records:
                yield dict(r.payload or {})
            if offset is None:
                return

    def get_points(self, ids: Sequence[str]) -> list[Hit]:
        records = self._client.retrieve(self.collection, list(ids), with_payload=True)
        return [Hit(str(r.id), 0.0, parse_record(r.payload)) for r in records]

    def passages_with_term(self, term: int, groups: Sequence[str], cap: int) -> int:
        response = self._client.query_points(
            self.collection,
            query=models.SparseVector(indices=[term], values=[1.0]),
            using=SPARSE,
            query_filter=_access(groups),
            limit=cap,
            with_payload=False,
        )
        return len(response.points)

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
        access = _access(groups)
        sparse_vec = (
            models.SparseVector(indices=sparse[0], values=sparse[1]) if sparse is not None else None
        )
        if mode is SearchMode.HYBRID and dense is not None and sparse_vec is not None:
            response = self._client.query_points(
                self.collection,
                prefetch=[
                    models.Prefetch(query=dense, using=DENSE, filter=access, limit=prefetch_limit),
                    models.Prefetch(
                        query=sparse_vec,
                        using=SPARSE,
                        filter=access,
                        limit=prefetch_limit,
                    ),
                ],
                query=models.FusionQuery(
                    fusion=models.Fusion.RRF if fusion == "rrf" else models.Fusion.DBSF
                ),
                query_filter=access,
                limit=limit,
                with_payload=True,
            )
        else:
            query: Any = sparse_vec if mode is SearchMode.SPARSE else dense
            if query is None:
                raise StoreError(f"search mode {mode} needs its query vector")
            response = self._client.query_points(
                self.collection,
                query=query,
                using=SPARSE if mode is SearchMode.SPARSE else DENSE,
                query_filter=access,
                limit=limit,
                with_payload=True,
            )
        return [Hit(str(p.id), float(p.score), parse_record(p.payload)) for p in response.points]


def _access(groups: Sequence[str]) -> models.Filter:
    return models.Filter(
        must=[models.FieldCondition(key="groups", match=models.MatchAny(any=readable_by(groups)))]
    )


def _match(key: str, value: str) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))
