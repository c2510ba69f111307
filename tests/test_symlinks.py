"""Links in a document folder never publish what lies outside it, nor move a document out
of its access rules: real files and links, real parser, real e5, real Qdrant Edge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_heavy import RunCli

from assistant.models.embeddings import LocalE5Embedding
from assistant.settings import Settings
from assistant.store import Search, SearchMode, VectorStore
from assistant.store.edge import EdgeStore
from assistant.store.record import ChunkRecord
from assistant.text.sparse import SparseEncoder
from ingest.report import RunReport
from ingest.sync import IngestJob

# Words that occur in no other document, so a search for one finds only its own text.
SECRET = "gryllbotten"
OTHER = "vramsökeln"
HR_ONLY = "knastrimmel"
OLD = "pirrlunden"


@pytest.fixture
def edge(settings: Settings) -> Iterator[VectorStore]:
    store = EdgeStore.open(settings)
    yield store
    store.close()


def _write(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    filler = "Texten gäller alla anställda i Norrbacka kommun. " * 8
    path.write_text(f"# {path.stem.title()}\n\n{body}\n\n{filler}\n", encoding="utf-8")
    return path


def _docs(folder: Path) -> Path:
    _write(folder / "semester.md", "Semesterdagar ska sökas senast den 31 mars.")
    _write(folder / "friskvard.md", "Friskvårdsbidraget är 3 000 kronor per kalenderår.")
    return folder


def _link(link: Path, target: Path) -> Path:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link


def _records(store: VectorStore, word: str, groups: list[str]) -> list[ChunkRecord]:
    """Every stored passage holding ``word`` that a reader of ``groups`` (and everyone) sees."""
    hits = store.search(
        Search(
            dense=None,
            sparse=SparseEncoder().query(word),
            groups=groups,
            limit=50,
            mode=SearchMode.SPARSE,
        )
    )
    return [h.record for h in hits if word in h.record.text.lower()]


def _texts(store: VectorStore, word: str, groups: list[str]) -> list[str]:
    return [r.text for r in _records(store, word, groups)]


def _sources(store: VectorStore) -> set[str]:
    return {Path(s.source).name for s in store.doc_states().values()}


def _failed(report: RunReport) -> dict[str, str | None]:
    return {f.file: f.reason for f in report.failed}


def test_a_link_to_a_file_outside_is_reported_and_not_indexed(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    folder = _docs(tmp_path / "docs")
    outside = _write(tmp_path / "elsewhere" / "hemlig.md", f"Koden till valvet är {SECRET}.")
    _link(folder / "hemlig.md", outside)

    report = IngestJob(settings, edge, embedder).run([folder])

    assert _failed(report) == {"hemlig.md": "outside_root"}
    [result] = report.failed
    assert "outside the document folder" in (result.message or "")
    assert str(outside) in (result.message or "")  # the admin sees where it leads
    assert report.count("new") == 2  # the rest of the job went on
    assert _sources(edge) == {"semester.md", "friskvard.md"}
    assert _texts(edge, SECRET, ["hr", "chefer"]) == []
    assert _texts(edge, "semesterdagar", [])  # the search does find what is there


def test_a_link_to_a_restricted_file_inside_keeps_its_access_rules(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    folder = _docs(tmp_path / "docs")
    rehab = _write(folder / "hr" / "rehab.md", f"Rehabplanen heter {HR_ONLY} internt.")
    (folder / "hr" / "access.toml").write_text('groups = ["hr"]\n')
    _link(folder / "alla" / "rehab-genvag.md", rehab)

    report = IngestJob(settings, edge, embedder).run([folder])

    assert report.failed == []
    assert {f.file for f in report.files} == {"semester.md", "friskvard.md", "hr/rehab.md"}
    assert _texts(edge, HR_ONLY, []) == []  # not public through the link's folder
    passages = _records(edge, HR_ONLY, ["hr"])
    assert passages
    assert {(r.rel_path, r.groups) for r in passages} == {("hr/rehab.md", ("hr",))}
    assert "rehab-genvag.md" not in _sources(edge)


def test_a_link_to_a_folder_is_reported_once_when_outside_and_skipped_when_inside(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    folder = _docs(tmp_path / "docs")
    shared = tmp_path / "gemensam"
    _write(shared / "a.md", f"Första filen om {SECRET}.")
    _write(shared / "under" / "b.md", f"Andra filen om {SECRET}.")
    _link(folder / "delat", shared)
    _link(folder / "genvag", folder / "hr")  # a folder inside the root, under another name
    _write(folder / "hr" / "rehab.md", f"Rehabplanen heter {HR_ONLY} internt.")

    report = IngestJob(settings, edge, embedder).run([folder])

    assert [(f.file, f.reason) for f in report.failed] == [("delat", "outside_root")]
    assert str(shared) in (report.failed[0].message or "")
    assert sorted(f.file for f in report.files if f.status == "new") == [
        "friskvard.md",
        "hr/rehab.md",
        "semester.md",
    ]
    assert _texts(edge, SECRET, ["hr"]) == []
    found = _records(edge, HR_ONLY, [])
    assert {r.rel_path for r in found} == {"hr/rehab.md"}  # once, through its real path
    assert _sources(edge) == {"semester.md", "friskvard.md", "rehab.md"}


def test_an_indexed_file_replaced_by_an_outside_link_leaves_the_store(
    tmp_path: Path, settings: Settings, edge: VectorStore, embedder: LocalE5Embedding
) -> None:
    folder = _docs(tmp_path / "docs")
    policy = _write(folder / "riktlinje.md", f"Riktlinjen kallas {OLD} i vardagslag.")
    outside = _write(tmp_path / "elsewhere" / "annan.md", f"Annan text om {OTHER}.")
    job = IngestJob(settings, edge, embedder)
    job.run([folder])
    assert _texts(edge, OLD, [])  # indexed, and the search finds it

    policy.unlink()
    _link(policy, outside)
    report = job.run([folder])

    assert _failed(report) == {"riktlinje.md": "outside_root"}
    assert "removed" in (report.failed[0].message or "")
    assert report.count("unchanged") == 2
    assert _texts(edge, OLD, []) == []  # unlike other failures, the old version goes
    assert _texts(edge, OTHER, []) == []
    assert _sources(edge) == {"semester.md", "friskvard.md"}


def test_the_cli_report_names_the_reason(
    tmp_path: Path, settings: Settings, run_cli: RunCli
) -> None:
    folder = _docs(tmp_path / "docs")
    outside = _write(tmp_path / "elsewhere" / "hemlig.md", f"Koden till valvet är {SECRET}.")
    _link(folder / "hemlig.md", outside)
    _link(folder / "borta.md", tmp_path / "elsewhere" / "finns-inte.md")  # broken, outside
    _link(folder / "trasig.md", folder / "finns-inte.md")  # broken, inside

    result = run_cli("ingest", str(folder), "--json", data_dir=settings.data_dir)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    reasons = {f["file"]: f["reason"] for f in report["files"]}
    assert reasons == {
        "semester.md": None,
        "friskvard.md": None,
        "hemlig.md": "outside_root",
        "borta.md": "outside_root",
        "trasig.md": "unreadable",
    }
    messages = {f["file"]: f["message"] for f in report["files"]}
    assert str(outside) in messages["hemlig.md"]
    assert "finns-inte.md" in messages["trasig.md"]
    store = EdgeStore.open(settings)
    try:
        assert _texts(store, SECRET, ["hr"]) == []
        assert _sources(store) == {"semester.md", "friskvard.md"}
    finally:
        store.close()
