"""A SharePoint source: the Graph-shaped server on loopback (tests/graph_server.py) serves a
site with one document library (and one that is not chosen); the real client
(ingest/graph.py, ingest/sharepoint.py) mirrors it and the folder pipeline indexes the
mirror into the real store.

The library here changes between syncs (``Styrdokument.version``): a document's content
changes, another is shared with one more group (permissions only), a third is deleted; an
expired delta link, a throttled permissions request and a failing download are played too.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import docx
import pytest
from fixtures_heavy import RunCli, killed_and_run_again
from graph_server import (
    CLIENT_ID,
    DRIVE,
    ORG_LINK,
    OTHER,
    ROOT,
    SECRET,
    SITE,
    TENANT,
    TOKEN,
    WEB,
    Graph,
    Item,
    group,
    group_grant,
    person,
    serving,
    source_of,
)

from assistant.models.embeddings import LocalE5Embedding
from assistant.runtime import open_runtime
from assistant.settings import Settings, SharePointSource, load_settings
from assistant.store import Search, SearchMode
from assistant.store.edge import EdgeStore
from assistant.store.record import ChunkRecord
from ingest.mirror import MANIFEST, UrlLookup
from ingest.permissions import readers
from ingest.sharepoint import SharePointReport, mirror_dir, sync
from ingest.sync import IngestJob

G_HR, G_CHEF, G_OKAND = (
    "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "0c9b8a7d-6e5f-4d3c-2b1a-0f9e8d7c6b5a",
    "99999999-8888-4777-a666-555544443333",
)
ACCESS = {G_HR: "hr", G_CHEF: "chefer"}  # auth.access_groups, as at sign-in
SITE_GROUPS = {"Styrdokument Owners": "it", "7": "chefer"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@cache
def _docx(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


OWNERS = {
    "id": "3",
    "roles": ["owner"],
    "grantedToV2": {"siteGroup": {"id": "3", "displayName": "Styrdokument Owners",
                                  "loginName": "Styrdokument Owners"}},
}  # fmt: skip


@dataclass
class Styrdokument(Graph):
    """The library at ``version`` 1, and at 2 after its changes."""

    throttle: set[str] = field(default_factory=lambda: {"01LON"})  # 429 once on permissions
    folders: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {"01PERS": ("Personal", ROOT), "01CHEF": ("Chefer", ROOT)}
    )

    def items(self) -> dict[str, Item]:
        sem = (
            _docx("Semesterregler", "Sommarsemester ska sökas senast den 31 mars.")
            if self.version == 1
            else _docx("Semesterregler", "Sommarsemester ska sökas senast den 15 april.")
        )
        lon_perms = [group_grant(G_HR, "Personalavdelningen"), {"id": "u1", "roles": ["write"],
                     "grantedToV2": person("Anna Andersson", "5d33dd65-user")}]  # fmt: skip
        if self.version > 1:  # shared with the managers too: permissions only
            lon_perms.append(group_grant(G_CHEF, "Chefer"))
        files: dict[str, Item] = {
            "01SEM": Item(ROOT, "Semesterregler.docx", DOCX, sem, [ORG_LINK, OWNERS]),
            "01LON": Item("01PERS", "Lönepolicy.docx", DOCX,
                          _docx("Lönepolicy", "Lönerevision sker i april varje år enligt avtalet."),
                          lon_perms),
            "01UTV": Item("01PERS", "Utvecklingssamtal.txt", "text/plain",
                          "Anteckning från utvecklingssamtalet med en medarbetare.".encode(),
                          [{"id": "u2", "roles": ["write"],
                            "grantedToV2": person("Bo Berg", "77aa-user")},
                           {"id": "l2", "roles": ["read"],
                            "link": {"scope": "users", "type": "view"},
                            "grantedToIdentitiesV2": [person("Cia Ek", "88bb-user")]}]),
            "01BILD": Item("01PERS", "logga.png", "image/png", b"\x89PNG\r\n", [ORG_LINK]),
        }  # fmt: skip
        if self.version == 1:
            files["01CHS"] = Item(
                "01CHEF", "Chefsstöd.txt", "text/plain",
                "Chefer ska hålla medarbetarsamtal en gång per år.".encode(),
                [{"id": "7", "roles": ["read"], "grantedToV2": {"siteGroup": {
                    "id": "7", "displayName": "Chefer i kommunen", "loginName": "Chefer"}}},
                 {"id": "l3", "roles": ["read"], "link": {"scope": "users", "type": "view"},
                  "grantedToIdentitiesV2": [group(G_CHEF, "Chefer")]}],
            )  # fmt: skip
        return files

    def enumeration(self) -> list[str]:
        return list(dict.fromkeys([ROOT, "01PERS", "01SEM", "01LON", "01CHEF", *self.items()]))

    def changes(self, token: str) -> tuple[list[dict[str, Any]], str] | None:
        if token != "d1" or self.version == 1:
            return None
        shared = self.drive_item("01LON") | {"@microsoft.graph.sharedChanged": "True"}
        deleted = {"id": "01CHS", "deleted": {"state": "deleted"},
                   "parentReference": {"driveId": DRIVE, "id": "01CHEF"}}  # fmt: skip
        return [self.drive_item("01SEM"), deleted, shared], "d2"


@pytest.fixture
def graph() -> Iterator[Graph]:
    with serving(Styrdokument()) as state:
        yield state


def _source(graph: Graph, **changes: Any) -> SharePointSource:
    return source_of(graph, **({"site_groups": SITE_GROUPS} | changes))


def _sync(graph: Graph, folder: Path, **changes: Any) -> SharePointReport:
    return sync(_source(graph, **changes), folder, ACCESS)


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }


def _reasons(report: SharePointReport) -> dict[str, str]:
    return {p.file.rsplit("/", 1)[-1]: str(p.reason) for p in report.problems}


def test_a_sync_mirrors_the_library_with_each_items_readers(
    tmp_path: Path, graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    report = _sync(graph, tmp_path)
    root = report.root
    assert sorted(_files(root)) == [
        "Dokument/Chefer/Chefsstöd.txt",
        "Dokument/Chefer/access.toml",
        "Dokument/Personal/Lönepolicy.docx",
        "Dokument/Personal/access.toml",
        "Dokument/Semesterregler.docx",
        "Dokument/access.toml",
    ]
    # Readers from the grants: an organisation link is everyone (the owners' site group
    # among them); Microsoft 365 groups by object id; SharePoint groups by id or name.
    assert '"Semesterregler.docx" = ["*"]' in (root / "Dokument/access.toml").read_text()
    assert '"Lönepolicy.docx" = ["hr"]' in (root / "Dokument/Personal/access.toml").read_text()
    assert 'groups = ["chefer"]' in (root / "Dokument/Chefer/access.toml").read_text()
    # Only single people: skipped with its reason, never written; a picture never fetched.
    assert _reasons(report) == {"Utvecklingssamtal.txt": "permissions", "logga.png": "unsupported"}
    [why] = [p.message or "" for p in report.problems if p.reason == "permissions"]
    assert "a single person" in why
    assert "Bo Berg" not in why
    assert not graph.asked(f"/v1.0/drives/{DRIVE}/items/01UTV/content")
    assert not graph.asked(f"/v1.0/drives/{DRIVE}/items/01BILD/content")
    assert graph.asked("/download/01UTV") == []
    # The token once; the download URLs without it; the other library never read.
    assert len(graph.asked(f"/{TENANT}/oauth2/v2.0/token")) == 1
    downloads = [h for _, _, p, h in graph.log if p.startswith("/download/")]
    assert len(downloads) == 3
    assert all("authorization" not in h for h in downloads)
    assert not [p for _, _, p, _ in graph.log if OTHER in p]
    # Delta paged to its deltaLink, asked to show sharing changes; the link kept.
    deltas = graph.asked(f"/v1.0/drives/{DRIVE}/root/delta")
    assert len(deltas) == 2
    assert all("deltashowsharingchanges" in h["prefer"] for h in deltas)
    state = json.loads((root / MANIFEST).read_text())["state"]
    assert state["drives"][DRIVE]["delta"].endswith("/root/delta?token=d1")
    # Throttled once: asked again after Retry-After (1 s).
    asked = [t for t, _, p, _ in graph.log if p.endswith("/items/01LON/permissions")]
    assert len(asked) == 2
    assert asked[1] - asked[0] >= 0.95
    # Citations link to the item's webUrl; the secret and the token nowhere.
    lookup = UrlLookup()
    assert (
        lookup(root / "Dokument/Personal/Lönepolicy.docx")
        == f"{WEB}/Dokument/Personal/Lönepolicy.docx"
    )
    everything = "\n".join(b.decode("utf-8", "replace") for b in _files(root).values())
    everything += (root / MANIFEST).read_text() + repr(report) + caplog.text
    assert SECRET not in everything
    assert TOKEN not in everything
    assert "127.0.0.1" in caplog.text  # the log was captured at all
    # A download URL is its own authorisation: its query values never reach the log.
    assert "/download/01LON?tempauth=***" in caplog.text
    assert "tempauth=v1" not in caplog.text


def test_the_second_sync_applies_changes_deletions_and_permission_changes(
    tmp_path: Path, graph: Graph
) -> None:
    first = _sync(graph, tmp_path)
    before = _files(first.root)
    graph.version = 2
    second = _sync(graph, tmp_path)
    assert second.changed == [f"{WEB}/Dokument/Semesterregler.docx",
                              f"{WEB}/Dokument/Personal/Lönepolicy.docx"]  # fmt: skip
    assert second.removed == [f"{WEB}/Dokument/Chefer/Chefsstöd.txt"]
    assert second.downloads == 1  # the permission-only change is not downloaded again
    files = _files(second.root)
    assert files["Dokument/Semesterregler.docx"] != before["Dokument/Semesterregler.docx"]
    assert files["Dokument/Personal/Lönepolicy.docx"] == before["Dokument/Personal/Lönepolicy.docx"]
    assert "Dokument/Chefer/Chefsstöd.txt" not in files
    rules = (second.root / "Dokument/Personal/access.toml").read_text()
    assert '"Lönepolicy.docx" = ["chefer", "hr"]' in rules
    assert _reasons(second)["Utvecklingssamtal.txt"] == "permissions"  # said again each run
    third = _sync(graph, tmp_path)
    assert (third.new, third.changed, third.removed, third.downloads) == ([], [], [], 0)
    assert _files(third.root) == files


def test_an_expired_delta_link_enumerates_the_library_again(tmp_path: Path, graph: Graph) -> None:
    _sync(graph, tmp_path)
    graph.version, graph.expired = 2, True  # Chefsstöd deleted while the link expired
    report = _sync(graph, tmp_path)
    tokens = [p.split("token=")[-1] for _, _, p, _ in graph.log if "/root/delta" in p]
    assert tokens[-2:] == ["d1", "fresh"]
    assert report.removed == [f"{WEB}/Dokument/Chefer/Chefsstöd.txt"]
    assert "Dokument/Chefer/Chefsstöd.txt" not in _files(report.root)
    state = json.loads((report.root / MANIFEST).read_text())["state"]
    assert state["drives"][DRIVE]["delta"].endswith("token=d2")


def test_a_failure_keeps_the_last_copy_and_reads_the_changes_again(
    tmp_path: Path, graph: Graph
) -> None:
    first = _sync(graph, tmp_path)
    old = _files(first.root)["Dokument/Semesterregler.docx"]
    graph.version, graph.broken = 2, {"01SEM"}
    failing = _sync(graph, tmp_path)
    assert _reasons(failing)["Semesterregler.docx"] == "http_error"
    assert _files(failing.root)["Dokument/Semesterregler.docx"] == old
    state = json.loads((failing.root / MANIFEST).read_text())["state"]
    assert state["drives"][DRIVE]["delta"].endswith("token=d1")  # not advanced
    graph.broken = set()
    healed = _sync(graph, tmp_path)
    assert f"{WEB}/Dokument/Semesterregler.docx" in healed.changed
    assert _files(healed.root)["Dokument/Semesterregler.docx"] != old


def test_a_wrong_secret_changes_nothing_and_says_so(tmp_path: Path, graph: Graph) -> None:
    first = _sync(graph, tmp_path)
    before = _files(first.root)
    report = _sync(graph, tmp_path, client_secret="fel-hemlighet")
    assert report.aborted
    assert "invalid_client" in report.aborted
    assert [p.reason for p in report.problems] == ["sign_in"]
    assert "fel-hemlighet" not in repr(report)
    assert _files(report.root) == before


def test_permissions_map_as_documented() -> None:
    mapped = readers([OWNERS, group_grant(G_HR, "HR")], ACCESS, SITE_GROUPS)
    assert (mapped.groups, mapped.unmapped) == (["hr", "it"], [])
    mixed = readers([group_grant(G_OKAND, "Okänd"), {"grantedToV2": person("A", "1")}], ACCESS, {})
    assert mixed.groups == []
    assert len(mixed.unmapped) == 2
    assert G_OKAND in mixed.unmapped[0]
    assert "auth.access_groups" in mixed.unmapped[0]
    anyone = readers([{"link": {"scope": "anonymous", "type": "view"}}], {}, {})
    assert anyone.groups == ["*"]
    existing = readers([{"link": {"scope": "existingAccess", "type": "view"}}], {}, {})
    assert existing == type(existing)([], [])
    people = readers([{"link": {"scope": "users", "type": "edit"}}], ACCESS, {})
    assert people.groups == []
    assert people.unmapped == ["a sharing link (users)"]
    invited = readers([{"invitation": {"email": "x@y.se", "signInRequired": True}}], {}, {})
    assert invited.unmapped == ["an invitation"]


def test_the_settings_refuse_a_secret_sent_in_the_clear() -> None:
    with pytest.raises(ValueError, match="graph_url must be an https URL"):
        SharePointSource(tenant_id=TENANT, client_id=CLIENT_ID, client_secret=SECRET,
                         site=SITE, graph_url="http://graph.example.org/v1.0")  # fmt: skip
    source = SharePointSource(
        tenant_id=TENANT, client_id=CLIENT_ID, client_secret=SECRET, site=SITE
    )
    assert SECRET not in repr(source)
    assert SECRET not in source.model_dump_json()


# -- indexed by the folder pipeline -----------------------------------------------------------


def _records(settings: Settings, embedder: LocalE5Embedding) -> list[ChunkRecord]:
    """Every passage in the store (a reader of every group sees them all here)."""
    store = EdgeStore.open(settings)
    try:
        query = embedder.get_query_embedding("styrdokument")
        hits = store.search(Search(query, None, ["hr", "chefer", "it"], 500, SearchMode.DENSE))
    finally:
        store.close()
    return [h.record for h in hits]


def _index(settings: Settings, embedder: LocalE5Embedding, graph: Graph) -> dict[str, str]:
    report = sync(
        _source(graph), mirror_dir(settings.sharepoint_dir, _source(graph)),
        settings.auth.access_groups,
    )  # fmt: skip
    store = EdgeStore.open(settings)
    try:
        run = IngestJob(settings, store, embedder).run([report.root], problems=report.problems)
    finally:
        store.close()
    return {
        f["file"].rsplit("/", 1)[-1]: f["reason"] or f["status"] for f in run.to_dict()["files"]
    }


def test_the_mirror_is_indexed_with_its_readers_and_cited_by_web_url(
    tmp_path: Path, graph: Graph, embedder: LocalE5Embedding
) -> None:
    settings = load_settings(data_dir=tmp_path / "data", auth={"access_groups": ACCESS})
    assert _index(settings, embedder, graph) == {
        "Semesterregler.docx": "new",
        "Lönepolicy.docx": "new",
        "Chefsstöd.txt": "new",
        "Utvecklingssamtal.txt": "permissions",
        "logga.png": "unsupported",
    }
    records = _records(settings, embedder)
    groups = {r.file: r.groups for r in records}
    assert groups == {
        "Semesterregler.docx": ("*",),
        "Lönepolicy.docx": ("hr",),
        "Chefsstöd.txt": ("chefer",),
    }
    assert "utvecklingssamtalet" not in "\n".join(r.text for r in records)
    with open_runtime(settings, with_model=False) as runtime:
        answer = runtime.assistant.ask("När ska sommarsemester sökas?", [], mode="extractive")
        assert answer.citations[0].url == f"{WEB}/Dokument/Semesterregler.docx"

    graph.version = 2
    assert _index(settings, embedder, graph) == {
        "Semesterregler.docx": "changed",
        "Lönepolicy.docx": "changed",  # its readers changed, not its content
        "Chefsstöd.txt": "removed",
        "Utvecklingssamtal.txt": "permissions",
        "logga.png": "unsupported",
    }
    records = _records(settings, embedder)
    assert {r.file: r.groups for r in records}["Lönepolicy.docx"] == ("chefer", "hr")
    text = "\n".join(r.text for r in records)
    assert "15 april" in text
    assert "31 mars" not in text
    assert "medarbetarsamtal" not in text
    saved = "\n".join(p.read_text() for p in settings.reports_dir.glob("*.json"))
    assert SECRET not in saved
    assert TOKEN not in saved
    before = sorted((r.doc_id, r.index_key, r.chunk_index) for r in records)

    root = mirror_dir(settings.sharepoint_dir, _source(graph))
    next(root.rglob(MANIFEST)).unlink()  # killed before the manifest was written
    statuses = _index(settings, embedder, graph)
    assert set(statuses.values()) == {"unchanged", "permissions", "unsupported"}
    after = sorted((r.doc_id, r.index_key, r.chunk_index) for r in _records(settings, embedder))
    assert after == before


def test_assistant_ingest_syncs_the_configured_sharepoint_sources(
    tmp_path: Path, graph: Graph, run_cli: RunCli
) -> None:
    configured = _source(graph).model_dump(mode="json") | {"client_secret": SECRET}
    env = {
        "ASSISTANT_INGEST__SHAREPOINT_SOURCES": json.dumps([configured]),
        "ASSISTANT_AUTH__ACCESS_GROUPS": json.dumps(ACCESS),
    }
    result = run_cli("ingest", "--json", data_dir=tmp_path / "data", env=env, timeout=240)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    statuses = {f["file"].rsplit("/", 1)[-1]: f["reason"] or f["status"] for f in report["files"]}
    assert statuses["Lönepolicy.docx"] == "new"
    assert statuses["Utvecklingssamtal.txt"] == "permissions"
    assert report["roots"] == [str(mirror_dir(tmp_path / "data/sources/sharepoint", _source(graph))
                                   / "kommun.sharepoint.com_sites_styrdokument")]  # fmt: skip
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.slow
def test_a_sync_killed_mid_way_and_run_again_gives_the_same_index(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """``assistant ingest`` killed (SIGKILL) while it mirrors a SharePoint library, then
    run again: the index is the one a run from nothing gives."""
    with serving(Graph(slow_s=0.4)) as graph:
        for i in range(10):
            text = (
                f"Rutin nummer {i}\n\nEnligt rutin {i} ska ärenden av typ {i} handläggas inom "
                f"{i + 2} arbetsdagar av enhet {i}.\n"
            )
            graph.put(f"Rutiner/rutin-{i:02d}.txt", text.encode(), [ORG_LINK], "text/plain")
        configured = source_of(graph).model_dump(mode="json") | {"client_secret": SECRET}
        env = {"ASSISTANT_INGEST__SHAREPOINT_SOURCES": json.dumps([configured])}
        after_kill, from_nothing = killed_and_run_again(
            run_cli, env, tmp_path / "data", tmp_path / "fresh", "rutin-*.txt"
        )
    assert after_kill == from_nothing
    assert len([n for n in after_kill if n.startswith("rutin-")]) == 10
