"""The ingestion job keeps the index in step with the folder: real parser, real e5,
real Qdrant Edge (and the server API through qdrant-client's in-memory mode)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_heavy import RunCli, cli_command
from qdrant_client import QdrantClient

from assistant.models.embeddings import LocalE5Embedding
from assistant.settings import Settings
from assistant.store import EVERYONE, Search, SearchMode, VectorStore
from assistant.store.edge import EdgeStore
from assistant.store.server import ServerStore
from assistant.text.sparse import SparseEncoder
from ingest.chunk import Chunk, Chunker
from ingest.model import ParsedDocument
from ingest.sync import IngestJob

TOPICS = [
    ("semester", "Semesterdagar ska sökas i personalsystemet senast den 31 mars."),
    ("friskvard", "Friskvårdsbidraget är 3 000 kronor per kalenderår och betalas mot kvitto."),
    ("parkering", "Parkeringstillstånd för rörelsehindrade söks hos trafikenheten."),
    ("bisyssla", "En bisyssla ska anmälas till närmaste chef innan den påbörjas."),
]


def _write(folder: Path, name: str, body: str, words: int = 60) -> Path:
    path = folder / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    filler = " ".join(["Texten gäller alla anställda i Norrbacka kommun."] * (words // 8))
    path.write_text(f"# {name.title()}\n\n{body}\n\n## Mer information\n\n{filler}\n")
    return path


def _docs(folder: Path) -> Path:
    for name, body in TOPICS:
        _write(folder, name, body)
    return folder


@pytest.fixture
def edge(settings: Settings) -> Iterator[VectorStore]:
    store = EdgeStore.open(settings)
    yield store
    store.close()


def _texts(store: VectorStore, word: str, groups: list[str]) -> list[str]:
    hits = store.search(
        Search(
            dense=None,
            sparse=SparseEncoder().query(word),
            groups=groups,
            limit=20,
            mode=SearchMode.SPARSE,
        )
    )
    return [h.record.text for h in hits]


def test_add_skip_change_delete(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    folder = _docs(tmp_path / "docs")
    job = IngestJob(settings, edge, embedder)

    first = job.run([folder])
    assert first.totals()["new"] == 4
    assert first.totals()["failed"] == 0
    states = edge.doc_states()
    assert {s.file for s in states.values()} == {f"{n}.md" for n, _ in TOPICS}
    assert all(s.complete_key() for s in states.values())
    chunks = edge.count()

    again = job.run([folder])
    assert again.totals()["unchanged"] == 4
    assert again.embed_seconds == 0
    assert edge.count() == chunks

    _write(folder, "friskvard", "Friskvårdsbidraget höjs till 4 500 kronor per kalenderår.")
    changed = job.run([folder])
    assert changed.count("changed") == 1
    texts = _texts(edge, "friskvårdsbidraget", [])
    assert any("4 500" in t for t in texts)
    assert not any("3 000" in t for t in texts)  # the old version is gone, not duplicated

    (folder / "parkering.md").unlink()
    removed = job.run([folder])
    assert [f.file for f in removed.files if f.status == "removed"] == ["parkering.md"]
    assert "parkering.md" not in {s.file for s in edge.doc_states().values()}
    assert _texts(edge, "parkeringstillstånd", []) == []


def test_a_bad_new_version_keeps_the_old_one(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    folder = _docs(tmp_path / "docs")
    job = IngestJob(settings, edge, embedder)
    job.run([folder])
    (folder / "semester.md").write_bytes(b"")  # emptied by mistake
    (folder / "trasig.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    report = job.run([folder])
    failed = {f.file: f.reason for f in report.failed}
    assert failed == {"semester.md": "empty", "trasig.pdf": "corrupt"}
    assert any("31 mars" in t for t in _texts(edge, "semesterdagar", []))
    assert report.count("unchanged") == 3


def test_only_named_folders_are_synced(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    a = _docs(tmp_path / "a")
    b = tmp_path / "b"
    _write(b, "visselblasning", "Visselblåsarfunktionen nås på visselblasning@norrbacka.se.")
    job = IngestJob(settings, edge, embedder)
    job.run([a])
    report = job.run([b])
    assert report.count("removed") == 0  # a's documents are not b's business
    assert len(edge.doc_states()) == 5


def test_access_groups_follow_rule_changes(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    folder = tmp_path / "docs"
    _write(folder / "hr", "rehab", "Rehabiliteringsutredning startar efter fyra sjuktillfällen.")
    (folder / "hr" / "access.toml").write_text('groups = ["hr"]\n')
    job = IngestJob(settings, edge, embedder)
    job.run([folder])
    assert _texts(edge, "rehabiliteringsutredning", ["ekonomi"]) == []
    assert _texts(edge, "rehabiliteringsutredning", ["hr"])
    (folder / "hr" / "access.toml").write_text('groups = ["hr", "chefer"]\n')
    report = job.run([folder])
    assert report.count("changed") == 1
    assert _texts(edge, "rehabiliteringsutredning", ["chefer"])
    [state] = edge.doc_states().values()
    assert len(state.keys) == 1


def test_the_server_path_indexes_the_same_way(
    tmp_path: Path, settings: Settings, embedder: LocalE5Embedding
) -> None:
    store = ServerStore.connect(settings, client=QdrantClient(location=":memory:"))
    try:
        report = IngestJob(settings, store, embedder).run([_docs(tmp_path / "docs")])
        assert report.totals()["new"] == 4
        [hit] = store.search(
            Search(
                dense=embedder.get_query_embedding("Hur mycket är friskvårdsbidraget?"),
                sparse=SparseEncoder().query("Hur mycket är friskvårdsbidraget?"),
                groups=[],
                limit=1,
            )
        )
        assert hit.record.file == "friskvard.md"
        assert hit.record.groups == (EVERYONE,)
        assert hit.record.heading_path == ("Friskvard",)
    finally:
        store.close()


@pytest.mark.slow
def test_a_killed_run_can_be_rerun(tmp_path: Path, settings: Settings, run_cli: RunCli) -> None:
    folder = tmp_path / "docs"
    for i in range(12):
        name, body = TOPICS[i % len(TOPICS)]
        _write(folder, f"{name}-{i:02d}", f"{body} Dokument nummer {i}.", words=250)
    data = str(settings.data_dir)
    env = {**os.environ, "ASSISTANT_DATA_DIR": data}
    with subprocess.Popen(
        cli_command("ingest", str(folder)), stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stderr is not None
        done = 0
        for line in proc.stderr:
            done += line.startswith("new")
            if done == 3:
                break
        proc.send_signal(signal.SIGKILL)
    assert done == 3, "the run ended before it could be killed"

    rerun = run_cli("ingest", str(folder), "--json", data_dir=data, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    store = EdgeStore.open(settings)
    try:
        states = store.doc_states()
        assert len(states) == 12
        assert all(s.complete_key() for s in states.values())
        assert store.count() == sum(s.points for s in states.values())
    finally:
        store.close()
    # a clean index built from scratch holds exactly the same chunks
    shutil.rmtree(settings.store_dir)
    fresh = run_cli("ingest", str(folder), "--json", data_dir=data, timeout=600)
    assert fresh.returncode == 0, fresh.stderr
    store = EdgeStore.open(settings)
    try:
        assert store.count() == sum(s.points for s in states.values())
    finally:
        store.close()


def test_cli_reports_a_busy_store(tmp_path: Path, settings: Settings, run_cli: RunCli) -> None:
    owner = EdgeStore.open(settings)
    try:
        result = run_cli(
            "ingest", str(_docs(tmp_path / "docs")), data_dir=settings.data_dir, timeout=120
        )
    finally:
        owner.close()
    assert result.returncode == 2
    assert "in use by process" in result.stderr
    assert "Traceback" not in result.stderr


class _BrokenChunker(Chunker):
    """Our own chunker with a bug for one file: the job must survive it."""

    def chunk(self, doc: ParsedDocument) -> list[Chunk]:
        if doc.path.name == "bisyssla.md":
            raise ZeroDivisionError("division by zero")
        return super().chunk(doc)


def test_an_unexpected_parser_failure_skips_only_that_file(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    job = IngestJob(settings, edge, embedder, chunker=_BrokenChunker(settings.ingest))
    report = job.run([_docs(tmp_path / "docs")])
    assert [(f.file, f.reason) for f in report.failed] == [("bisyssla.md", "parser_failed")]
    assert "ZeroDivisionError" in (report.failed[0].message or "")
    assert report.totals()["new"] == 3


def test_the_next_file_is_parsed_ahead_and_again_if_it_changed_meanwhile(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    folder = _docs(tmp_path / "docs")  # bisyssla, friskvard, parkering, semester
    job = IngestJob(settings, edge, embedder)
    ahead: list[str] = []

    def progress(done: int, total: int, name: str) -> None:
        if job._ahead is not None:
            (path, _), future = job._ahead
            future.result()  # the parse started ahead is done, with the old text
            ahead.append(path.name)
            if name == "friskvard.md":
                _write(folder, "friskvard", "Friskvårdsbidraget höjs till 4 500 kronor per år.")

    report = job.run([folder], progress=progress)
    assert ahead == ["friskvard.md", "parkering.md", "semester.md"]  # each parsed ahead
    assert report.totals()["new"] == 4
    texts = _texts(edge, "friskvårdsbidraget", [])
    assert any("4 500" in t for t in texts)  # the file as it was at its turn
    assert not any("3 000" in t for t in texts)
    assert job.run([folder]).totals()["unchanged"] == 4  # stored under that version's key


LON = "Lönerevisionen genomförs i april och gäller från den första i månaden."


@pytest.mark.parametrize(
    "roots",
    [["hr/lon"], ["hr", "hr/lon"], ["hr/lon", "hr"]],
    ids=["subfolder", "nested-last", "nested-first"],
)
def test_rules_above_the_synced_folder_hold_whatever_the_roots(
    tmp_path: Path,
    settings: Settings,
    edge: VectorStore,
    embedder: LocalE5Embedding,
    roots: list[str],
) -> None:
    share = tmp_path / "share"
    _write(share / "hr" / "lon", "revision", LON)
    (share / "hr" / "access.toml").write_text('groups = ["hr"]\n')
    report = IngestJob(settings, edge, embedder).run([share / r for r in roots])
    assert [f.status for f in report.files] == ["new"], "found once"
    assert _texts(edge, "lönerevisionen", []) == [], "nobody outside hr reads it"
    assert _texts(edge, "lönerevisionen", ["hr"])
    assert [s.groups for s in edge.doc_states().values()] == [("hr",)]


def test_broken_rules_withhold_the_folder_until_fixed(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    folder = _docs(tmp_path / "docs")
    _write(folder / "hr", "rehab", "Rehabiliteringsutredning startar efter fyra sjuktillfällen.")
    job = IngestJob(settings, edge, embedder)
    job.run([folder])
    assert _texts(edge, "rehabiliteringsutredning", []), "public before the rules"

    (folder / "hr" / "access.toml").write_text('groups = ["hr"\n')  # a typo while restricting
    report = job.run([folder])
    assert _texts(edge, "rehabiliteringsutredning", []) == []
    assert _texts(edge, "rehabiliteringsutredning", ["hr"]) == [], "withheld from everyone"
    [withheld] = report.failed
    assert (withheld.file, withheld.reason) == ("hr/rehab.md", "access_rules")
    assert "withheld: access rules cannot be read" in (withheld.message or "")
    assert "hr/rehab.md: [access_rules] withheld: access rules cannot be read" in report.summary()
    assert report.count("unchanged") == 4, "the other documents stay"
    assert "rehab.md" not in {s.file for s in edge.doc_states().values()}

    (folder / "hr" / "access.toml").write_text('groups = ["hr"]\n')
    fixed = job.run([folder])
    assert fixed.count("new") == 1
    assert fixed.embedded_chunks == 0, "re-indexed from the embedding cache"
    assert _texts(edge, "rehabiliteringsutredning", []) == []
    assert _texts(edge, "rehabiliteringsutredning", ["hr"])
