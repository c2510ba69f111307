"""A Graph-shaped server on loopback: one SharePoint site with a document library whose
items (files with their bytes, in folders, each with its permission grants) a test puts in,
and another library that is not chosen. The real client (ingest/graph.py,
ingest/sharepoint.py) mirrors it as it would mirror the tenant.

The server follows the responses Microsoft documents for Graph v1.0 (read for these tests in
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
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from assistant.settings import SharePointSource

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
LIBRARY = "Dokument"  # the chosen library's name; the other is Mallar
ROOT = "01ROOT"  # the library's root folder


def person(name: str, user_id: str) -> dict[str, Any]:
    """A single person, as ``grantedToV2`` names one."""
    return {
        "user": {"id": user_id, "displayName": name, "email": f"{user_id[:4]}@kommun.se"},
        "siteUser": {"id": "12", "displayName": name, "loginName": f"i:0#.f|membership|{name}"},
    }


def group(group_id: str, name: str) -> dict[str, Any]:
    """A Microsoft 365 or security group by its object id."""
    return {"group": {"id": group_id, "displayName": name}}


def group_grant(group_id: str, name: str) -> dict[str, Any]:
    """A group given read access to an item."""
    return {"id": f"g-{group_id[:4]}", "roles": ["read"], "grantedToV2": group(group_id, name)}


def site_group_grant(site_group_id: str, name: str) -> dict[str, Any]:
    """A SharePoint group of the site given read access to an item."""
    site_group = {"id": site_group_id, "displayName": name, "loginName": name}
    return {"id": site_group_id, "roles": ["read"], "grantedToV2": {"siteGroup": site_group}}


ORG_LINK = {
    "id": "c0ffee01",
    "roles": ["read"],
    "link": {"scope": "organization", "type": "view", "webUrl": f"{WEB}/:w:/s/x"},
}


@dataclass(frozen=True)
class Item:
    """A file in the library: its folder's id, name, MIME type, content and permissions."""

    parent: str
    name: str
    mime: str
    content: bytes
    permissions: list[dict[str, Any]]


@dataclass
class Graph:
    """The tenant's state (a test changes it between syncs) and what it was asked.

    ``folders`` and ``items()`` are the library; ``put`` adds a file at a path. The first
    enumeration comes in two pages (``first_page`` items, then the rest); ``changes`` says
    what a delta link returns afterwards (nothing, by default)."""

    port: int = 0
    version: int = 1
    expired: bool = False  # delta links are no longer valid: 410 Gone
    throttle: set[str] = field(default_factory=set)  # items whose permissions answer 429 once
    broken: set[str] = field(default_factory=set)  # content requests answered 500
    folders: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, parent)
    files: dict[str, Item] = field(default_factory=dict)
    first_page: int = 4
    slow_s: float = 0.0  # each download takes this long (a sync killed mid-way)
    log: list[tuple[float, str, str, dict[str, str]]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def asked(self, path: str) -> list[dict[str, str]]:
        return [h for _, _, p, h in self.log if p.split("?")[0] == path]

    def put(self, path: str, content: bytes, permissions: list[dict[str, Any]], mime: str) -> str:
        """A file at ``path`` in the library (its folders made as needed); its item id."""
        *folders, name = path.split("/")
        parent = ROOT
        for folder in folders:
            known = [i for i, (n, p) in self.folders.items() if (n, p) == (folder, parent)]
            if not known:
                known = [f"01F{len(self.folders):04d}"]
                self.folders[known[0]] = (folder, parent)
            parent = known[0]
        item_id = f"01I{len(self.files):04d}"
        self.files[item_id] = Item(parent, name, mime, content, permissions)
        return item_id

    def items(self) -> dict[str, Item]:
        """Every file as it is now, by id."""
        return self.files

    def path(self, item_id: str) -> str:
        """Where an item is in the library (``""`` for its root)."""
        names: list[str] = []
        while item_id != ROOT:
            if item_id in self.folders:
                name, item_id = self.folders[item_id]
            else:
                item = self.items()[item_id]
                name, item_id = item.name, item.parent
            names.append(name)
        return "/".join(reversed(names))

    def drive_item(self, item_id: str) -> dict[str, Any]:
        reference = {"driveType": "documentLibrary", "driveId": DRIVE}
        web = "/".join(p for p in (f"{WEB}/{LIBRARY}", self.path(item_id)) if p)
        if item_id == ROOT or item_id in self.folders:
            children = sum(
                parent == item_id
                for parent in [
                    *(p for _, p in self.folders.values()),
                    *(i.parent for i in self.items().values()),
                ]
            )
            folder: dict[str, Any] = {"id": item_id, "folder": {"childCount": children},
                                      "webUrl": web, "parentReference": reference}  # fmt: skip
            if item_id == ROOT:
                return folder | {"name": "root", "root": {}}
            name, parent = self.folders[item_id]
            return folder | {"name": name, "parentReference": reference | {"id": parent}}
        item = self.items()[item_id]
        digest = hashlib.sha1(item.content).digest()
        return {
            "id": item_id,
            "name": item.name,
            "eTag": f'"{{{item_id}}},{self.version}"',
            "size": len(item.content),
            "webUrl": web,
            "lastModifiedDateTime": "2026-03-01T08:00:00Z",
            "parentReference": reference | {"id": item.parent},
            "file": {
                "mimeType": item.mime,
                "hashes": {"quickXorHash": base64.b64encode(digest).decode()},
            },
        }

    def enumeration(self) -> list[str]:
        """The ids a full enumeration returns, in order: the root, the folders, the files."""
        return [ROOT, *self.folders, *self.items()]

    def changes(self, token: str) -> tuple[list[dict[str, Any]], str] | None:
        """What the delta link ``token`` returns, and the next link's token; None: nothing."""
        return None

    def delta(self, token: str | None) -> tuple[int, dict[str, Any], str]:
        link = f"{self.base}/v1.0/drives/{DRIVE}/root/delta?token="
        if token in ("d1", "d2") and self.expired:
            body = {"error": {"code": "resyncRequired", "message": "Resync required."}}
            return 410, body, link + "fresh"
        everything = self.enumeration()
        if token is None:  # the first page of a full enumeration
            first = everything[: self.first_page]
            return 200, {"value": [self.drive_item(i) for i in first],
                         "@odata.nextLink": link + "page2"}, ""  # fmt: skip
        if token == "page2":
            rest = everything[self.first_page :]
            return 200, {"value": [self.drive_item(i) for i in rest],
                         "@odata.deltaLink": link + "d1"}, ""  # fmt: skip
        if token == "fresh":
            return 200, {"value": [self.drive_item(i) for i in everything],
                         "@odata.deltaLink": link + "d2"}, ""  # fmt: skip
        changed = self.changes(token)
        if changed is not None:
            return 200, {"value": changed[0], "@odata.deltaLink": link + changed[1]}, ""
        return 200, {"value": [], "@odata.deltaLink": link + token}, ""


def source_of(graph: Graph, **changes: Any) -> SharePointSource:
    """The source that syncs the library from ``graph``."""
    settings: dict[str, Any] = {
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "site": SITE,
        "libraries": (LIBRARY,),
        "graph_url": f"{graph.base}/v1.0",
        "authority_url": graph.base,
        "timeout_s": 5,
    }
    return SharePointSource(**(settings | changes))


@contextmanager
def serving(graph: Graph) -> Iterator[Graph]:
    """``graph`` served on a free loopback port (``graph.port``) until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(graph))
    server.daemon_threads = True
    graph.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield graph
    finally:
        server.shutdown()
        server.server_close()


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
                time.sleep(graph.slow_s)
                self._send(200, "application/octet-stream", graph.items()[item_id].content)
                return
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._json(401, {"error": {"code": "InvalidAuthenticationToken",
                                           "message": "Access token is empty."}})  # fmt: skip
                return
            drive = f"/v1.0/drives/{DRIVE}"
            item_id = path.split("/")[-2] if path.startswith(f"{drive}/items/") else ""
            if path == f"/v1.0/sites/{SITE}":
                self._json(200, {"id": SITE_ID, "name": "styrdokument", "webUrl": WEB,
                                 "displayName": "Styrdokument"})  # fmt: skip
            elif path == f"/v1.0/sites/{SITE_ID}/drives":
                self._json(200, {"value": [
                    {"id": DRIVE, "name": LIBRARY, "driveType": "documentLibrary",
                     "webUrl": f"{WEB}/{LIBRARY}"},
                    {"id": OTHER, "name": "Mallar", "driveType": "documentLibrary",
                     "webUrl": f"{WEB}/Mallar"}]})  # fmt: skip
            elif path == f"{drive}/root/delta":
                status, body, location = graph.delta(query.get("token", [None])[0])
                self._json(status, body, location=location)
            elif item_id not in graph.items():
                self._json(404, {"error": {"code": "itemNotFound", "message": "Not found."}})
            elif path.endswith("/content"):
                if item_id in graph.broken:
                    error = {"code": "generalException", "message": "An unspecified error."}
                    self._json(500, {"error": error})
                    return
                self._send(
                    302, "", b"", location=f"{graph.base}/download/{item_id}?tempauth=v1.{item_id}"
                )
            elif path.endswith("/permissions"):
                if item_id in graph.throttle:
                    graph.throttle.discard(item_id)
                    self._json(429, {"error": {"code": "TooManyRequests", "message":
                               "Please retry after 1 seconds."}}, retry_after="1")  # fmt: skip
                    return
                self._json(200, {"value": graph.items()[item_id].permissions})
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
