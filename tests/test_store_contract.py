"""One contract, two engines: Qdrant Edge in-process, and the server API through
qdrant-client's in-memory mode."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qdrant_client import QdrantClient
from records import chunk_record

from assistant.errors import StoreBusyError
from assistant.settings import Settings, load_settings
from assistant.store import EVERYONE, Fusion, Search, SearchMode, StoredPoint, VectorStore
from assistant.store.edge import EdgeStore
from assistant.store.server import ServerStore
from assistant.text.sparse import SparseEncoder

DIMS = 4
TEXTS = {
    "a": ("Friskvårdsbidraget är 3 000 kronor per år.", [1.0, 0.0, 0.0, 0.0], [EVERYONE]),
    "b": ("Lönerevisionen sker i april varje år.", [0.0, 1.0, 0.0, 0.0], ["hr"]),
    "c": ("Parkeringstillstånd söks hos trafikenheten.", [0.0, 0.0, 1.0, 0.0], [EVERYONE]),
}


def _settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", embedding={"dimensions": DIMS})


@pytest.fixture(params=["edge", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    settings = _settings(tmp_path)
    opened: VectorStore
    if request.param == "edge":
        opened = EdgeStore.open(settings)
    else:
        opened = ServerStore.connect(settings, client=QdrantClient(location=":memory:"))
    yield opened
    opened.close()


def _points(doc: str, key: str, chunk_count: int | None = None) -> list[StoredPoint]:
    sparse = SparseEncoder()
    text, vector, groups = TEXTS[doc]
    n = chunk_count or 1
    return [
        StoredPoint(
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"{doc}/{key}/{i}")),
            vector,
            *sparse.document(text),
            chunk_record(
                doc,
                text,
                index_key=key,
                chunk_count=n,
                chunk_index=i,
                source=f"/docs/{doc}.txt",
                file=f"{doc}.txt",
                format="txt",
                groups=groups,
            ),
        )
        for i in range(n)
    ]


def _fill(store: VectorStore) -> None:
    for doc in TEXTS:
        store.upsert(_points(doc, "v1"))
    store.optimize()


def test_doc_states_know_complete_versions(store: VectorStore) -> None:
    _fill(store)
    states = store.doc_states()
    assert sorted(states) == ["a", "b", "c"]
    assert states["a"].complete_key() == "v1"
    assert store.count() == 3
    # half of a second version: two versions present means not complete
    store.upsert(_points("a", "v2", chunk_count=3)[:2])
    assert store.doc_states()["a"].complete_key() is None


def test_delete_keeps_the_named_version(store: VectorStore) -> None:
    _fill(store)
    store.upsert(_points("a", "v2"))
    store.delete_doc("a", keep_key="v2")
    assert store.doc_states()["a"].keys == {"v2": 1}
    store.delete_doc("a")
    assert "a" not in store.doc_states()
    assert store.count() == 2


@pytest.mark.parametrize("fusion", ["rrf", "dbsf"])
@pytest.mark.parametrize("mode", list(SearchMode))
def test_search_applies_access_groups_inside_the_query(
    store: VectorStore, mode: SearchMode, fusion: Fusion
) -> None:
    _fill(store)
    sparse = SparseEncoder().query("lönerevision april")
    dense = [0.0, 1.0, 0.0, 0.0]
    options: dict[str, Any] = {"limit": 10, "mode": mode, "fusion": fusion}
    outsider = store.search(Search(dense=dense, sparse=sparse, groups=["ekonomi"], **options))
    assert all(h.record.doc_id != "b" for h in outsider)
    insider = store.search(Search(dense=dense, sparse=sparse, groups=["hr"], **options))
    assert insider[0].record.doc_id == "b"


def test_sparse_search_matches_inflected_swedish(store: VectorStore) -> None:
    _fill(store)
    hits = store.search(
        Search(
            dense=None,
            sparse=SparseEncoder().query("parkeringstillstånden"),
            groups=[],
            limit=3,
            mode=SearchMode.SPARSE,
        )
    )
    assert hits[0].record.doc_id == "c"


def test_get_points_returns_payloads(store: VectorStore) -> None:
    _fill(store)
    wanted = _points("c", "v1")[0].id
    [hit] = store.get_points([wanted])
    assert hit.record.file == "c.txt"


def test_a_record_comes_back_as_it_was_written(store: VectorStore) -> None:
    record = chunk_record(
        "d",
        "Riktlinjen ersattes 2025.",
        superseded=True,
        valid_until="2024-12-31",
        heading_path=("Friskvård", "Belopp"),
        email={"sender": "hr@norrbacka.se"},
        page=3,
    )
    point = StoredPoint(
        "8f8ab2e4-3c7e-4d0e-9a55-2f0b7c1e5a10", [1.0, 0.0, 0.0, 0.0], [], [], record
    )
    store.upsert([point])
    [hit] = store.get_points([point.id])
    assert hit.record == record
    # Booleans are booleans and lists are lists in the payload too, not strings.
    assert record.payload()["superseded"] is True
    assert record.payload()["heading_path"] == ["Friskvård", "Belopp"]


def test_edge_store_persists_across_reopen(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    store = EdgeStore.open(settings)
    _fill(store)
    store.close()
    again = EdgeStore.open(settings)
    try:
        assert again.count() == 3
    finally:
        again.close()


def test_edge_store_has_one_owner(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    owner = EdgeStore.open(settings)
    try:
        with pytest.raises(StoreBusyError, match="in use by process"):
            EdgeStore.open(settings)
        script = (
            "import sys\n"
            "from assistant.settings import load_settings\n"
            "from assistant.store.edge import EdgeStore\n"
            "from assistant.errors import StoreBusyError\n"
            f"s = load_settings(data_dir={str(settings.data_dir)!r},"
            " embedding={'dimensions': 4})\n"
            "try:\n    EdgeStore.open(s)\nexcept StoreBusyError as e:\n    print(e); sys.exit(7)\n"
        )
        other = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
        assert other.returncode == 7, other.stderr
        assert "ASSISTANT_STORE__URL" in other.stdout
    finally:
        owner.close()
    EdgeStore.open(settings).close()  # free again once the owner closed


def test_term_counts_respect_access_groups(store: VectorStore) -> None:
    _fill(store)
    [term] = SparseEncoder().terms("lönerevisionen")
    assert store.passages_with_term(term, ["hr"], cap=10) == 1
    assert store.passages_with_term(term, ["ekonomi"], cap=10) == 0


def test_counts_follow_writes(store: VectorStore) -> None:
    _fill(store)
    [term] = SparseEncoder().terms("lönerevisionen")
    before = store.count()
    assert store.passages_with_term(term, ["hr"], cap=10) == 1
    store.upsert(_points("b", "v2", chunk_count=2))
    assert store.count() == before + 2
    assert store.passages_with_term(term, ["hr"], cap=10) == 3
    store.delete_doc("b")
    assert store.count() == before - 1
    assert store.passages_with_term(term, ["hr"], cap=10) == 0


def test_a_match_narrows_the_search_but_never_widens_access(store: VectorStore) -> None:
    for doc, named, groups in (("a", "sfs 2017:725", [EVERYONE]), ("b", "bfs 1992:46", ["hr"])):
        text, vector, _ = TEXTS[doc]
        record = chunk_record(doc, text, groups=groups, designations=(named,), sections=("3 §",))
        point_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"named/{doc}"))
        store.upsert([StoredPoint(point_id, vector, *SparseEncoder().document(text), record)])
    store.optimize()
    dense = [0.5, 0.5, 0.0, 0.0]
    named = Search(dense, None, [], 10, SearchMode.DENSE, match={"designations": ["sfs 2017:725"]})
    assert [h.record.doc_id for h in store.search(named)] == ["a"]
    # Naming a document one may not read finds nothing; naming "groups" widens nothing.
    hidden = Search(dense, None, [], 10, SearchMode.DENSE, match={"designations": ["bfs 1992:46"]})
    assert store.search(hidden) == []
    widen = Search(dense, None, [], 10, SearchMode.DENSE, match={"groups": ["hr"]})
    assert store.search(widen) == []
    both = Search(
        dense,
        None,
        ["hr"],
        10,
        SearchMode.DENSE,
        match={"designations": ["bfs 1992:46"], "sections": ["3 §"]},
    )
    assert [h.record.doc_id for h in store.search(both)] == ["b"]
