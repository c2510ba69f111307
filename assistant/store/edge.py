"""The embedded default: the Qdrant engine in-process (Qdrant Edge)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from assistant.errors import StoreError
from assistant.settings import Settings
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
from assistant.store.lock import StoreLock
from assistant.store.record import FILTERED_FIELDS, STATE_FIELDS

_RRF_K = 60


_TERM_COUNTS_KEPT = 50_000


class EdgeStore:
    """Every operation after opening raises ``StoreError`` for the engine's own failures."""

    kind = "embedded"

    def __init__(self, shard: qe.EdgeShard, lock: StoreLock, path: Path, collection: str):
        self._shard = shard
        self._lock = lock
        self.location = str(path)
        self.collection = collection
        self.boundary = ErrorBoundary(f"The embedded store at {path}")
        # This process is the store's only writer (the lock), so read figures can be kept
        # until the next write: counting is linear in the number of passages.
        self._count: int | None = None
        self._term_counts: dict[tuple[int, tuple[str, ...], int], int] = {}

    def _changed(self) -> None:
        self._count = None
        self._term_counts.clear()

    @classmethod
    def open(cls, settings: Settings) -> EdgeStore:
        collection = collection_name(settings)
        root = settings.store_dir
        lock = StoreLock(root)
        lock.acquire()
        path = root / collection
        try:
            config = qe.EdgeConfig(
                vectors={
                    DENSE: qe.EdgeVectorParams(settings.embedding.dimensions, qe.Distance.Cosine)
                },
                sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            )
            if (path / "edge_config.json").exists() or any(path.glob("segments*")):
                shard = qe.EdgeShard.load(str(path), config)
            else:
                shard = qe.EdgeShard.create(str(path), config)
                for name in FILTERED_FIELDS:
                    shard.update(
                        qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Keyword)
                    )
        except Exception as exc:
            lock.release()
            raise StoreError(f"Cannot open the embedded store at {path}: {exc}") from exc
        return cls(shard, lock, path, collection)

    # -- writing -------------------------------------------------------------------------

    @guarded("writing passages")
    def upsert(self, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        edge_points = [
            qe.Point(
                p.id,
                {
                    DENSE: p.dense,
                    SPARSE: qe.SparseVector(p.sparse_indices, p.sparse_values),
                },
                p.record.payload(),
            )
            for p in points
        ]
        self._shard.update(qe.UpdateOperation.upsert_points(edge_points))
        self._changed()

    @guarded("deleting a document")
    def delete_doc(self, doc_id: str, keep_key: str | None = None) -> None:
        must_not: list[Any] | None = [_match("index_key", keep_key)] if keep_key else None
        self._shard.update(
            qe.UpdateOperation.delete_points_by_filter(
                qe.Filter(must=[_match("doc_id", doc_id)], must_not=must_not)
            )
        )
        self._changed()

    @guarded("optimising")
    def optimize(self) -> None:
        self._shard.flush()
        self._shard.optimize()

    @guarded("closing")
    def close(self) -> None:
        try:
            self._shard.flush()
            self._shard.close()
        finally:
            self._lock.release()

    # -- reading -------------------------------------------------------------------------

    @guarded("counting passages")
    def count(self) -> int:
        if self._count is None:
            self._count = int(self._shard.count(qe.CountRequest(exact=True)))
        return self._count

    @guarded("reading the documents' states")
    def doc_states(self) -> dict[str, DocState]:
        return fold_states(self._scroll_payloads(STATE_FIELDS))

    @guarded("listing the stored passages")
    def _scroll_payloads(self, fields: list[str]) -> Iterator[dict[str, Any]]:
        offset: Any = None
        while True:
            records, offset = self._shard.scroll(
                qe.ScrollRequest(offset=offset, limit=1000, with_payload=fields, with_vector=False)
            )
            for r in records:
                yield dict(r.payload or {})
            if offset is None:
                return

    @guarded("fetching passages")
    def get_points(self, ids: Sequence[str]) -> list[Hit]:
        records = self._shard.retrieve(list(ids), with_payload=True, with_vector=False)
        return [Hit(str(r.id), 0.0, parse_record(r.payload)) for r in records]

    @guarded("counting the passages with a term")
    def passages_with_term(self, term: int, groups: Sequence[str], cap: int) -> int:
        key = (term, tuple(sorted(groups)), cap)
        if key not in self._term_counts:
            if len(self._term_counts) >= _TERM_COUNTS_KEPT:
                self._term_counts.clear()
            request = qe.QueryRequest(
                limit=cap,
                query=qe.Query.Nearest(qe.SparseVector([term], [1.0]), using=SPARSE),
                filter=_access(groups),
                with_payload=False,
            )
            self._term_counts[key] = len(self._shard.query(request))
        return self._term_counts[key]

    @guarded("searching")
    def search(self, search: Search) -> list[Hit]:
        dense, sparse, mode = search.dense, search.sparse, search.mode
        limit, prefetch_limit, fusion = search.limit, search.prefetch_limit, search.fusion
        access = _access(search.groups, search.match)
        dense_q = qe.Query.Nearest(dense, using=DENSE) if dense is not None else None
        sparse_q = (
            qe.Query.Nearest(qe.SparseVector(*sparse), using=SPARSE) if sparse is not None else None
        )
        if mode is SearchMode.HYBRID and dense_q is not None and sparse_q is not None:
            request = qe.QueryRequest(
                limit=limit,
                query=(
                    qe.Fusion.Rrf(k=_RRF_K)  # type: ignore[arg-type]  # stub omits Rrf
                    if fusion == "rrf"
                    else qe.Fusion.Dbsf()
                ),
                prefetches=[
                    qe.Prefetch(limit=prefetch_limit, query=dense_q, filter=access),
                    qe.Prefetch(limit=prefetch_limit, query=sparse_q, filter=access),
                ],
                filter=access,
                with_payload=True,
            )
        else:
            single = sparse_q if mode is SearchMode.SPARSE else dense_q
            if single is None:
                raise StoreError(f"search mode {mode} needs its query vector")
            request = qe.QueryRequest(limit=limit, query=single, filter=access, with_payload=True)
        return [
            Hit(str(p.id), float(p.score), parse_record(p.payload))
            for p in self._shard.query(request)
        ]


def _access(groups: Sequence[str], match: Mapping[str, Sequence[str]] | None = None) -> qe.Filter:
    """What a reader of ``groups`` may see, narrowed to passages whose fields hold ``match``."""
    # Every condition must hold: ``match`` can only narrow what the groups may read.
    wanted = [("groups", readable_by(groups)), *(match or {}).items()]
    return qe.Filter(
        must=[qe.FieldCondition(key, match=qe.MatchAny(list(values))) for key, values in wanted]
    )


def _match(key: str, value: str) -> qe.FieldCondition:
    return qe.FieldCondition(key, match=qe.MatchValue(value))
