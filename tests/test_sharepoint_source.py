"""A SharePoint source: a Graph-shaped server on loopback serves a site with one document
library (and one that is not chosen); the real client (ingest/graph.py, ingest/sharepoint.py)
mirrors it and the folder pipeline indexes the mirror into the real store.

The server follows the responses Microsoft documents for Graph v1.0 (read for this test in
the microsoft-graph-docs: driveitem-delta, permission, driveitem-list-permissions,
driveitem-get-content) and the identity platform's client-credentials token endpoint:

- ``POST /{tenant}/oauth2/v2.0/token`` (form: grant_type, client_id, client_secret, scope)
  → ``token_type``, ``expires_in``, ``access_token``; ``error`` / ``error_description`` on 401.
- ``GET /sites/{hostname}:/{path}`` → a site (``id`` = hostname,guid,guid, ``webUrl``).
- ``GET /sites/{id}/drives`` → ``value`` of drives (``id``, ``name``, ``driveType``).
- ``GET /drives/{id}/root/delta`` → ``value`` of driveItems (``id``, ``name``, ``webUrl``,
  ``eTag``, ``size``, ``parentReference.id`` without ``path``, the ``root``, ``folder``,
  ``file`` (``mimeType``, ``hashes.quickXorHash``; no ``cTag``, as delta leaves it out on
  OneDrive for Business) and ``deleted`` facets, ``@microsoft.graph.sharedChanged``) and an
  ``@odata.nextLink`` or, on the last page, an ``@odata.deltaLink``; an expired link →
  ``410 Gone`` with a ``Location`` that starts a fresh enumeration.
- ``GET /drives/{id}/items/{id}/content`` → ``302`` to a pre-authenticated download URL.
- ``GET /drives/{id}/items/{id}/permissions`` → ``value`` of permissions: ``grantedToV2``
  (``group``, ``siteGroup``, ``user`` + ``siteUser``), ``grantedToIdentitiesV2``, ``link``
  (``scope`` organization / users, ``type``), ``roles``.
- ``429 Too Many Requests`` with ``Retry-After`` (seconds) and Graph's error body.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import docx
import pytest
from fixtures_heavy import RunCli

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

TENANT = "3c1e9a52-8d4b-4f0e-9a61-2b7c5d9e0f11"
CLIENT_ID = "a7d0c2e4-1b3f-4c5d-8e9f-0a1b2c3d4e5f"
SECRET = "klienthemlighet~4711.Graph"
TOKEN = "eyJ0eXAiOiJKV1QifQ.loopback-graph-token"
SITE = "kommun.sharepoint.com:/sites/styrdokument"
SITE_ID = ",".join(
    [
        "kommun.sharepoint.com",
        "7f2c1a9e-0000-4b1d-9c3e-5a6b7c8d9e0f",
        "3b1d2c4e-1111-4f2a-8b3c-9d0e1f2a3b4c",
    ]
)
WEB = "https://kommun.sharepoint.com/sites/styrdokument"
DRIVE, OTHER = "b!dokument-0001", "b!mallar-0002"
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


def _person(name: str, user_id: str) -> dict[str, Any]:
    return {
        "user": {"id": user_id, "displayName": name, "email": f"{user_id[:4]}@kommun.se"},
        "siteUser": {"id": "12", "displayName": name, "loginName": f"i:0#.f|membership|{name}"},
    }


def _group(group_id: str, name: str) -> dict[str, Any]:
    return {"group": {"id": group_id, "displayName": name}}


ORG_LINK = {
    "id": "c0ffee01",
    "roles": ["read"],
    "link": {"scope": "organization", "type": "view", "webUrl": f"{WEB}/:w:/s/x"},
}
OWNERS = {
    "id": "3",
    "roles": ["owner"],
    "grantedToV2": {"siteGroup": {"id": "3", "displayName": "Styrdokument Owners",
                                  "loginName": "Styrdokument Owners"}},
}  # fmt: skip


# An item: its parent folder's id, name, MIME type, content and permissions.
_Item = tuple[str, str, str, bytes, list[dict[str, Any]]]


@dataclass
class Graph:
    """The tenant's state (the test changes it between syncs) and what it was asked."""

    port: int = 0
    version: int = 1
    expired: bool = False  # delta links are no longer valid: 410 Gone
    throttle: set[str] = field(default_factory=lambda: {"01LON"})  # 429 once on permissions
    broken: set[str] = field(default_factory=set)  # content requests answered 500
    log: list[tuple[float, str, str, dict[str, str]]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def asked(self, path: str) -> list[dict[str, str]]:
        return [h for _, _, p, h in self.log if p.split("?")[0] == path]

    def items(self) -> dict[str, _Item]:
        """Every item as it is now: id -> (driveItem, content, permissions)."""
        sem = (
            _docx("Semesterregler", "Sommarsemester ska sökas senast den 31 mars.")
            if self.version == 1
            else _docx("Semesterregler", "Sommarsemester ska sökas senast den 15 april.")
        )
        lon_perms = [_group_grant(G_HR, "Personalavdelningen"), {"id": "u1", "roles": ["write"],
                     "grantedToV2": _person("Anna Andersson", "5d33dd65-user")}]  # fmt: skip
        if self.version > 1:  # shared with the managers too: permissions only
            lon_perms.append(_group_grant(G_CHEF, "Chefer"))
        files: dict[str, _Item] = {
            "01SEM": ("01ROOT", "Semesterregler.docx", DOCX, sem, [ORG_LINK, OWNERS]),
            "01LON": ("01PERS", "Lönepolicy.docx", DOCX,
                      _docx("Lönepolicy", "Lönerevision sker i april varje år enligt avtalet."),
                      lon_perms),
            "01UTV": ("01PERS", "Utvecklingssamtal.txt", "text/plain",
                      "Anteckning från utvecklingssamtalet med en medarbetare.".encode(),
                      [{"id": "u2", "roles": ["write"],
                        "grantedToV2": _person("Bo Berg", "77aa-user")},
                       {"id": "l2", "roles": ["read"], "link": {"scope": "users", "type": "view"},
                        "grantedToIdentitiesV2": [_person("Cia Ek", "88bb-user")]}]),
            "01BILD": ("01PERS", "logga.png", "image/png", b"\x89PNG\r\n", [ORG_LINK]),
        }  # fmt: skip
        if self.version == 1:
            files["01CHS"] = (
                "01CHEF", "Chefsstöd.txt", "text/plain",
                "Chefer ska hålla medarbetarsamtal en gång per år.".encode(),
                [{"id": "7", "roles": ["read"], "grantedToV2": {"siteGroup": {
                    "id": "7", "displayName": "Chefer i kommunen", "loginName": "Chefer"}}},
                 {"id": "l3", "roles": ["read"], "link": {"scope": "users", "type": "view"},
                  "grantedToIdentitiesV2": [_group(G_CHEF, "Chefer")]}],
            )  # fmt: skip
        return files

    def drive_item(self, item_id: str) -> dict[str, Any]:
        folders = {"01PERS": "Personal", "01CHEF": "Chefer"}
        reference = {"driveType": "documentLibrary", "driveId": DRIVE}
        if item_id == "01ROOT":
            return {"id": "01ROOT", "name": "root", "root": {}, "folder": {"childCount": 3},
                    "webUrl": f"{WEB}/Dokument", "parentReference": reference}  # fmt: skip
        if item_id in folders:
            return {"id": item_id, "name": folders[item_id], "folder": {"childCount": 2},
                    "webUrl": f"{WEB}/Dokument/{folders[item_id]}",
                    "parentReference": reference | {"id": "01ROOT"}}  # fmt: skip
        parent, name, mime, content, _ = self.items()[item_id]
        where = f"{folders[parent]}/{name}" if parent in folders else name
        digest = hashlib.sha1(content).digest()
        return {
            "id": item_id,
            "name": name,
            "eTag": f'"{{{item_id}}},{self.version}"',
            "size": len(content),
            "webUrl": f"{WEB}/Dokument/{where}",
            "lastModifiedDateTime": "2026-03-01T08:00:00Z",
            "parentReference": reference | {"id": parent},
            "file": {
                "mimeType": mime,
                "hashes": {"quickXorHash": base64.b64encode(digest).decode()},
            },
        }

    def delta(self, token: str | None) -> tuple[int, dict[str, Any], str]:
        link = f"{self.base}/v1.0/drives/{DRIVE}/root/delta?token="
        if token in ("d1", "d2") and self.expired:
            body = {"error": {"code": "resyncRequired", "message": "Resync required."}}
            return 410, body, link + "fresh"
        everything = ["01ROOT", "01PERS", "01SEM", "01LON", "01CHEF", *self.items()]
        everything = list(dict.fromkeys(everything))
        if token is None:  # the first page of a full enumeration
            return 200, {"value": [self.drive_item(i) for i in everything[:4]],
                         "@odata.nextLink": link + "page2"}, ""  # fmt: skip
        if token == "page2":
            return 200, {"value": [self.drive_item(i) for i in everything[4:]],
                         "@odata.deltaLink": link + "d1"}, ""  # fmt: skip
        if token == "fresh":
            return 200, {"value": [self.drive_item(i) for i in everything],
                         "@odata.deltaLink": link + "d2"}, ""  # fmt: skip
        if token == "d1" and self.version > 1:
            shared = self.drive_item("01LON") | {"@microsoft.graph.sharedChanged": "True"}
            deleted = {"id": "01CHS", "deleted": {"state": "deleted"},
                       "parentReference": {"driveId": DRIVE, "id": "01CHEF"}}  # fmt: skip
            return 200, {"value": [self.drive_item("01SEM"), deleted, shared],
                         "@odata.deltaLink": link + "d2"}, ""  # fmt: skip
        return 200, {"value": [], "@odata.deltaLink": link + (token or "d1")}, ""


def _group_grant(group_id: str, name: str) -> dict[str, Any]:
    return {"id": f"g-{group_id[:4]}", "roles": ["read"], "grantedToV2": _group(group_id, name)}


def _handler(graph: Graph) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _record(self) -> tuple[str, dict[str, list[str]]]:
            headers = {k.lower(): v for k, v in self.headers.items()}
            graph.log.append((time.monotonic(), self.command, self.path, headers))
            parts = urlsplit(self.path)
            return parts.path, parse_qs(parts.query)

        def do_POST(self) -> None:
            path, _ = self._record()
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            expected = {
                "grant_type": ["client_credentials"],
                "client_id": [CLIENT_ID],
                "client_secret": [SECRET],
                "scope": ["https://graph.microsoft.com/.default"],
            }
            if path != f"/{TENANT}/oauth2/v2.0/token" or form != expected:
                self._json(401, {"error": "invalid_client", "error_description":
                                 "AADSTS7000215: Invalid client secret provided."})  # fmt: skip
                return
            self._json(200, {"token_type": "Bearer", "expires_in": 3599,
                             "ext_expires_in": 3599, "access_token": TOKEN})  # fmt: skip

        def do_GET(self) -> None:
            path, query = self._record()
            if path.startswith("/download/"):  # pre-authenticated: no token wanted or taken
                item_id = path.rsplit("/", 1)[-1]
                if query.get("tempauth") != [f"v1.{item_id}"]:
                    self._json(401, {"error": {"code": "unauthenticated"}})
                    return
                self._send(200, "application/octet-stream", graph.items()[item_id][3])
                return
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._json(401, {"error": {"code": "InvalidAuthenticationToken",
                                           "message": "Access token is empty."}})  # fmt: skip
                return
            drive = f"/v1.0/drives/{DRIVE}"
            if path == f"/v1.0/sites/{SITE}":
                self._json(200, {"id": SITE_ID, "name": "styrdokument", "webUrl": WEB,
                                 "displayName": "Styrdokument"})  # fmt: skip
            elif path == f"/v1.0/sites/{SITE_ID}/drives":
                self._json(200, {"value": [
                    {"id": DRIVE, "name": "Dokument", "driveType": "documentLibrary",
                     "webUrl": f"{WEB}/Dokument"},
                    {"id": OTHER, "name": "Mallar", "driveType": "documentLibrary",
                     "webUrl": f"{WEB}/Mallar"}]})  # fmt: skip
            elif path == f"{drive}/root/delta":
                status, body, location = graph.delta(query.get("token", [None])[0])
                self._json(status, body, location=location)
            elif path.startswith(f"{drive}/items/") and path.endswith("/content"):
                item_id = path.split("/")[-2]
                if item_id in graph.broken:
                    error = {"code": "generalException", "message": "An unspecified error."}
                    self._json(500, {"error": error})
                    return
                self._send(
                    302, "", b"", location=f"{graph.base}/download/{item_id}?tempauth=v1.{item_id}"
                )
            elif path.startswith(f"{drive}/items/") and path.endswith("/permissions"):
                item_id = path.split("/")[-2]
                if item_id in graph.throttle:
                    graph.throttle.discard(item_id)
                    self._json(429, {"error": {"code": "TooManyRequests", "message":
                               "Please retry after 1 seconds."}}, retry_after="1")  # fmt: skip
                    return
                self._json(200, {"value": graph.items()[item_id][4]})
            else:
                self._json(404, {"error": {"code": "itemNotFound", "message": "Not found."}})

        def _json(
            self, status: int, body: dict[str, Any], location: str = "", retry_after: str = ""
        ) -> None:
            extra = {"Retry-After": retry_after} if retry_after else {}
            data = json.dumps(body).encode()
            self._send(status, "application/json", data, location=location, **extra)

        def _send(
            self, status: int, kind: str, body: bytes, location: str = "", **extra: str
        ) -> None:
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            if kind:
                self.send_header("Content-Type", kind)
            for name, value in extra.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def graph() -> Iterator[Graph]:
    state = Graph()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _source(graph: Graph, **changes: Any) -> SharePointSource:
    settings: dict[str, Any] = {
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "site": SITE,
        "libraries": ("Dokument",),
        "site_groups": SITE_GROUPS,
        "graph_url": f"{graph.base}/v1.0",
        "authority_url": graph.base,
        "timeout_s": 5,
    }
    return SharePointSource(**(settings | changes))


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
    assert "fel-hemlighet" not in repr(report)
    assert _files(report.root) == before


def test_permissions_map_as_documented() -> None:
    mapped = readers([OWNERS, _group_grant(G_HR, "HR")], ACCESS, SITE_GROUPS)
    assert (mapped.groups, mapped.unmapped) == (["hr", "it"], [])
    mixed = readers(
        [_group_grant(G_OKAND, "Okänd"), {"grantedToV2": _person("A", "1")}], ACCESS, {}
    )
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
