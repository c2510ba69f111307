"""A Qdrant server or cluster through qdrant-client: same schema, same queries as Edge.

Tests drive this class through qdrant-client's ``:memory:`` mode, which speaks the same
API as a server.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
from pydantic import ValidationError
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from assistant.errors import StoreError
from assistant.models.endpoints import display_url, keep_url_secrets_out_of_logs
from assistant.settings import Settings, StoreSettings
from assistant.store.access import readable_by
from assistant.store.base import (
    DENSE,
    SPARSE,
    DocState,
    Hit,
    Search,
    SearchMode,
    StoredPoint,
    collection_name,
    fold_states,
    parse_record,
)
from assistant.store.boundary import ErrorBoundary, guarded
from assistant.store.record import FILTERED_FIELDS, STATE_FIELDS


class ServerStore:
    """Every operation raises ``StoreError`` when the server fails, never the client's errors."""

    kind = "server"

    def __init__(
        self, client: QdrantClient, collection: str, location: str, api_key: str | None = None
    ) -> None:
        self._client = client
        self.collection = collection
        self.location = location
        self.boundary = _boundary(location, api_key)

    @classmethod
    def connect(cls, settings: Settings, client: QdrantClient | None = None) -> ServerStore:
        """Connect to ``settings.store.url`` (or use a given client) and ensure the schema."""
        url = settings.store.url or ":memory:"
        location = display_url(url) if settings.store.url else url  # never its credentials
        api_key = settings.store.api_key.get_secret_value() if settings.store.api_key else None
        keep_url_secrets_out_of_logs()
        with _boundary(location, api_key).guard("connecting"):
            if client is None:
                client = QdrantClient(
                    url=url, api_key=api_key, timeout=math.ceil(settings.store.timeout_s)
                )
        store = cls(client, collection_name(settings), location, api_key)
        store._ensure_collection(settings.embedding.dimensions, settings.store)
        return store

    @guarded("opening the collection")
    def _ensure_collection(self, dimensions: int, layout: StoreSettings) -> None:
        if self._client.collection_exists(self.collection):
            return
        self._client.create_collection(
            self.collection,
            vectors_config={
                DENSE: models.VectorParams(size=dimensions, distance=models.Distance.COSINE)
            },
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            # How a cluster spreads the collection; a single server keeps one shard.
            shard_number=layout.shards,
            replication_factor=layout.replicas,
            write_consistency_factor=layout.write_consistency,
        )
        with warnings.catch_warnings():
            # qdrant-client's in-memory mode warns that indexes have no effect there.
            warnings.filterwarnings("ignore", message=".*[Pp]ayload index.*")
            for name in FILTERED_FIELDS:
                self._client.create_payload_index(
                    self.collection, name, field_schema=models.PayloadSchemaType.KEYWORD
                )

    # -- writing -------------------------------------------------------------------------

    @guarded("writing passages")
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

    @guarded("deleting a document")
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

    @guarded("closing")
    def close(self) -> None:
        self._client.close()

    # -- reading -------------------------------------------------------------------------

    @guarded("counting passages")
    def count(self) -> int:
        return int(self._client.count(self.collection, exact=True).count)

    @guarded("reading the documents' states")
    def doc_states(self) -> dict[str, DocState]:
        return fold_states(self._scroll_payloads(STATE_FIELDS))

    @guarded("listing the stored passages")
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

    @guarded("fetching passages")
    def get_points(self, ids: Sequence[str]) -> list[Hit]:
        records = self._client.retrieve(self.collection, list(ids), with_payload=True)
        return [Hit(str(r.id), 0.0, parse_record(r.payload)) for r in records]

    @guarded("counting the passages with a term")
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

    @guarded("searching")
    def search(self, search: Search) -> list[Hit]:
        dense, sparse, mode = search.dense, search.sparse, search.mode
        limit, prefetch_limit, fusion = search.limit, search.prefetch_limit, search.fusion
        access = _access(search.groups, search.match)
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


def _access(
    groups: Sequence[str], match: Mapping[str, Sequence[str]] | None = None
) -> models.Filter:
    """What a reader of ``groups`` may see, narrowed to passages whose fields hold ``match``."""
    # Every condition must hold: ``match`` can only narrow what the groups may read.
    wanted = [("groups", readable_by(groups)), *(match or {}).items()]
    return models.Filter(
        must=[
            models.FieldCondition(key=key, match=models.MatchAny(any=list(values)))
            for key, values in wanted
        ]
    )


def _match(key: str, value: str) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def _boundary(location: str, api_key: str | None) -> ErrorBoundary:
    return ErrorBoundary(f"Qdrant at {location}", secrets=[api_key], describe=_describe)


def _describe(exc: Exception) -> str | None:
    """qdrant-client's errors in one line: the HTTP status and the server's own reason."""
    if isinstance(exc, UnexpectedResponse):
        status = f"HTTP {exc.status_code} ({exc.reason_phrase or 'no reason given'})"
        reason = _server_reason(exc.content)
        return f"{status}: {reason}" if reason else status
    if isinstance(exc, ResponseHandlingException):
        source = exc.source
        if isinstance(source, httpx.TimeoutException):
            return f"timed out ({type(source).__name__})"
        if isinstance(source, ValidationError):
            first = source.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            return f"an answer the client could not read ({where}: {first['msg']})"
        return str(source) or type(source).__name__
    return None


def _server_reason(content: bytes) -> str | None:
    """Qdrant's ``{"status": {"error": ...}}``, when the body is that."""
    try:
        error = json.loads(content)["status"]["error"]
    except (ValueError, KeyError, TypeError):
        return None
    return str(error).strip() or None
