"""Mirror SharePoint document libraries through Microsoft Graph into a folder, so the folder
pipeline (``ingest/sync.py``) indexes them, each item readable by the access groups its
permissions map to.

``sync(source, mirror_dir, access_groups)`` resolves the site (``/sites/{host}:/{path}`` or
``/sites/{id}``), lists its document libraries (``/sites/{id}/drives``; ``libraries`` picks
by name) and reads each library's changes with ``/drives/{id}/root/delta``: every page up to
the ``@odata.deltaLink``, which the manifest keeps for the next run (the first run, and a
``410 Gone`` for an expired link, enumerate the whole library; what it no longer returns
goes). Items are tracked by id, as Microsoft asks: delta gives no paths, so each item's path
comes from the folder tree kept in the manifest, and a renamed folder moves its files.

- A file (``file`` facet) under ``folder`` with an extension the parsers read is written to
  ``<library>/<path>`` in the mirror: its content from ``/content`` (302 to a
  pre-authenticated URL, fetched without the token), only when its version (content hash,
  else cTag, else eTag) or the mirrored copy differs. Its ``webUrl`` is what citations
  link to (``Entry.url``, read by ``UrlLookup``).
- Readers: ``/drives/{id}/items/{id}/permissions`` is read for every file delta reports
  (``Prefer: deltashowsharingchanges`` makes it report permission-only changes; a folder
  reported for its sharing has its files' permissions read again). ``readers``
  (``ingest/permissions.py``) maps the grants; an item none of whose grants maps is
  skipped with reason ``permissions`` and never written (its earlier copy goes), and is
  reported again each run until it changes.
- ``deleted`` items leave the mirror. Folders are structure only.
- A failure (an HTTP error, a timeout, throttling beyond ``max_retries``) keeps the item's
  last copy and its library's previous delta link, so the next run reads those changes
  again: a failure is never a deletion, and never a change lost. A site or library list
  that cannot be read leaves the mirror as it was.

The mirror is written like the web's (``ingest/mirror.py``): rules before files, files
atomically, the manifest last; a killed sync converges on the next run.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from assistant.settings import Settings, SharePointSource
from ingest import mirror
from ingest.errors import Reason
from ingest.graph import GraphClient, GraphError
from ingest.mirror import Entry, Mirrored
from ingest.permissions import readers
from ingest.report import FileResult
from ingest.sources import file_hash

log = logging.getLogger(__name__)
# Permission-only changes reported by delta, as Microsoft documents the header's use.
PREFER = "deltashowremovedasdeleted, deltatraversepermissiongaps, deltashowsharingchanges"
SHARED_CHANGED = "@microsoft.graph.sharedChanged"


@dataclass
class SharePointReport:
    """What one sync of one site did. ``root`` is the site's folder in the mirror; the
    lists hold items' web URLs."""

    site: str
    root: Path
    requests: int = 0
    downloads: int = 0
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # content or readers changed
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[FileResult] = field(default_factory=list)
    aborted: str | None = None

    def summary(self) -> str:
        return (
            f"{self.requests} requests: {len(self.new)} new, {len(self.changed)} changed, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.problems)} skipped" + (f"; stopped: {self.aborted}" if self.aborted else "")
        )


def mirror_dir(sharepoint_dir: Path, source: SharePointSource) -> Path:
    """Where a source's mirror lives below ``sharepoint_dir``: one folder per tenant and
    site, named so an operator can tell."""
    digest = hashlib.sha256(f"{source.tenant_id}|{source.site}".lower().encode()).hexdigest()[:8]
    return sharepoint_dir / f"{_site_folder(source.site)}-{digest}"


def sync_sources(
    settings: Settings,
    sources: Sequence[SharePointSource],
    say: Callable[[str], None] = lambda _: None,
) -> Mirrored:
    """Bring each source's mirror (below ``settings.sharepoint_dir``) up to date, one after
    the other, saying how each went: what ``assistant ingest`` and the Admin page's sync do
    before indexing."""
    synced = Mirrored()
    for source in sources:
        say(f"Syncing SharePoint {source.site} …")
        report = sync(
            source,
            mirror_dir(settings.sharepoint_dir, source),
            settings.auth.access_groups,
            access_file=settings.ingest.access_file,
        )
        synced.add(report.root, report.problems)
        say(f"  {report.summary()}")
    return synced


def _site_folder(site: str) -> str:
    return mirror.safe_name(site.replace(":/", "/").replace("/", "_"), "") or "site"


def sync(
    source: SharePointSource,
    mirror_dir: Path,
    access_groups: Mapping[str, str],
    *,
    access_file: str = "access.toml",
    client: GraphClient | None = None,
) -> SharePointReport:
    """Bring the site's mirror in ``mirror_dir`` up to date; see the module's docstring."""
    if client is not None:
        return _Sync(source, mirror_dir, access_groups, access_file, client).run()
    with GraphClient(source) as own:
        return _Sync(source, mirror_dir, access_groups, access_file, own).run()


class _Sync:
    def __init__(
        self,
        source: SharePointSource,
        mirror_dir: Path,
        access_groups: Mapping[str, str],
        access_file: str,
        client: GraphClient,
    ) -> None:
        self.source, self.access_groups, self.access_file = source, access_groups, access_file
        self.graph = client
        self.folder = mirror_dir / _site_folder(source.site)
        self.report = SharePointReport(source.site, self.folder)
        self.old = mirror.load_manifest(self.folder)
        self.state = mirror.load_state(self.folder)
        self.new: dict[str, Entry] = {}
        self.skipped: dict[str, list[str]] = {}  # key -> [url, reason, message]
        self.drives: dict[str, Any] = {}
        self.hold = False  # a failure in this library: its delta link stays where it was
        self.scope = tuple(p for p in source.folder.strip("/").split("/") if p)

    def run(self) -> SharePointReport:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            site = self.graph.get(_site_path(self.source.site))
            drives = [
                d
                for page in self.graph.pages(f"sites/{site['id']}/drives")
                for d in page.get("value", [])
            ]
        except (GraphError, KeyError) as exc:
            message = exc.message if isinstance(exc, GraphError) else "no site id in Graph's answer"
            self.report.aborted = message
            self._problem(
                self.source.site,
                _reason(exc),
                f"the site cannot be read ({message}); the mirror is kept as it was",
            )
            self.report.requests = self.graph.requests
            return self.report
        libraries = [
            d for d in drives if d.get("driveType", "documentLibrary") == "documentLibrary"
        ]
        if self.source.libraries:
            wanted = set(self.source.libraries)
            for name in sorted(wanted - {d.get("name") for d in libraries}):
                self._problem(
                    f"{site.get('webUrl', self.source.site)}/{name}",
                    Reason.UNREADABLE,
                    "no document library of that name on the site",
                )
            libraries = [d for d in libraries if d.get("name") in wanted]
        for drive in libraries:
            self._drive(drive)
        synced = {f"{d['id']}/" for d in libraries}
        for key, entry in self.old.items():  # a library no longer chosen, or gone
            if not key.startswith(tuple(synced)):
                self.report.removed.append(entry.url or key)
        for _, (url, reason, message) in sorted(self.skipped.items()):
            self._problem(url, Reason(reason), message)
        mirror.settle(
            self.folder,
            self.new,
            self.access_file,
            {"site": site.get("id"), "drives": self.drives, "skipped": self.skipped},
        )
        self.report.requests = self.graph.requests
        return self.report

    # -- one library -------------------------------------------------------------------------

    def _drive(self, drive: dict[str, Any]) -> None:
        drive_id = str(drive["id"])
        library = mirror.safe_name(str(drive.get("name") or ""), self.access_file) or drive_id
        before = self.state.get("drives", {}).get(drive_id, {})
        mine = {k: e for k, e in self.old.items() if k.startswith(drive_id + "/")}
        skipped = {
            k: s for k, s in self.state.get("skipped", {}).items() if k.startswith(drive_id + "/")
        }
        try:
            items, link, full = self._delta(drive_id, before.get("delta"))
        except GraphError as exc:
            where = str(drive.get("webUrl") or library)
            self._problem(
                where,
                _reason(exc),
                f"the library's changes cannot be read ({exc.message}); its mirror is kept "
                "as it was",
            )
            self.new.update(mine)
            self.skipped.update(skipped)
            if before:
                self.drives[drive_id] = before
            return
        tree: dict[str, list[str | None]] = {} if full else dict(before.get("tree", {}))
        latest = {str(item["id"]): item for item in items if "id" in item}  # the last wins
        files: dict[str, dict[str, Any]] = {}
        gone: set[str] = set()
        shared: set[str] = set()  # folders whose sharing changed
        for item_id, item in latest.items():
            if item.get("deleted") is not None:
                tree.pop(item_id, None)
                gone.add(item_id)
                continue
            parent = (item.get("parentReference") or {}).get("id")
            tree[item_id] = (
                ["", None] if item.get("root") is not None else [str(item.get("name", "")), parent]
            )
            if item.get("file") is not None:
                files[item_id] = item
            elif item.get("folder") is not None and item.get(SHARED_CHANGED):
                shared.add(item_id)
        self.hold = False
        for key, entry in mine.items():
            item_id = key.split("/", 1)[1]
            if item_id in files:
                continue
            path = self._path(library, tree, item_id)
            if item_id in gone or (full and item_id not in latest) or path is None:
                self.report.removed.append(entry.url or key)
            elif self._ancestors(tree, item_id) & shared:
                self._file(
                    drive_id,
                    library,
                    tree,
                    {"id": item_id, "webUrl": entry.url, "file": {}},
                    known=entry,
                )
            else:
                self._relocate(key, entry, path)
        for key, (url, reason, message) in skipped.items():
            item_id = key.split("/", 1)[1]
            if (
                item_id not in files
                and item_id not in gone
                and not (full and item_id not in latest)
            ):
                self.skipped[key] = [url, reason, message]
        for item in files.values():
            self._file(drive_id, library, tree, item)
        self.drives[drive_id] = {
            "name": drive.get("name"),
            "delta": before.get("delta") if self.hold else link,
            "tree": tree,
        }

    def _delta(self, drive_id: str, link: str | None) -> tuple[list[dict[str, Any]], str, bool]:
        """Every change since ``link`` (everything when None, or when Graph answers 410
        Gone): the items, the new delta link, and whether it was a full enumeration."""
        start = link or f"drives/{drive_id}/root/delta"
        full = link is None
        for _ in range(3):
            items: list[dict[str, Any]] = []
            try:
                for page in self.graph.pages(start, {"Prefer": PREFER}):
                    items += page.get("value", [])
                    if page.get("@odata.deltaLink"):
                        return items, str(page["@odata.deltaLink"]), full
            except GraphError as exc:
                if exc.status != 410:
                    raise
                log.info(
                    "delta link of drive %s expired (%s): enumerating it again", drive_id, exc.code
                )
                start, full = exc.location or f"drives/{drive_id}/root/delta", True
                continue
            raise GraphError("delta ended without an @odata.deltaLink")
        raise GraphError("delta answered 410 Gone three times in a row")

    # -- one file ----------------------------------------------------------------------------

    def _file(
        self,
        drive_id: str,
        library: str,
        tree: dict[str, list[str | None]],
        item: dict[str, Any],
        known: Entry | None = None,
    ) -> None:
        item_id = str(item["id"])
        key = f"{drive_id}/{item_id}"
        old = self.old.get(key)
        url = str(item.get("webUrl") or (old.url if old else None) or key)
        path = self._path(library, tree, item_id)
        if path is None:  # outside the folder, or a parent never seen
            if old is not None:
                self.report.removed.append(url)
            return
        name = path.rsplit("/", 1)[-1]
        if not mirror.known_extension(name):
            self._skip(
                key,
                url,
                Reason.UNSUPPORTED,
                "not a format the assistant reads; not downloaded",
                old,
            )
            return
        size = item.get("size")
        if isinstance(size, int) and size > self.source.max_bytes:
            self._skip(
                key,
                url,
                Reason.TOO_LARGE,
                f"larger than {self.source.max_bytes} bytes (max_bytes); not downloaded",
                old,
            )
            return
        try:
            permissions = [
                p
                for page in self.graph.pages(f"drives/{drive_id}/items/{item_id}/permissions")
                for p in page.get("value", [])
            ]
        except GraphError as exc:
            return self._failed(key, url, exc, old)
        who = readers(permissions, self.access_groups, self.source.site_groups)
        if not who.groups:
            why = "; ".join(dict.fromkeys(who.unmapped)) or "no grant at all"
            self._skip(
                key,
                url,
                Reason.PERMISSIONS,
                f"no grant maps to an access group ({why}); not published",
                old,
            )
            return
        path = self._free(path, key)
        version = _version(item) if known is None else (known.etag or "")
        same = old is not None and old.etag == version and self._intact(old)
        if same and old is not None:
            if old.path != path:
                self._move(old, path, who.groups)
            entry = replace(old, path=path, groups=who.groups, url=url)
            status = "unchanged" if old.groups == who.groups else "changed"
        else:
            try:
                data = self.graph.download(
                    f"drives/{drive_id}/items/{item_id}/content", self.source.max_bytes
                )
            except GraphError as exc:
                if exc.code == "too_large":
                    self._skip(key, url, Reason.TOO_LARGE, exc.message + "; not downloaded", old)
                    return
                return self._failed(key, url, exc, old)
            self.report.downloads += 1
            digest = hashlib.sha256(data).hexdigest()
            mime = str((item.get("file") or {}).get("mimeType") or "")
            entry = Entry(
                path, digest, who.groups, mime, version, item.get("lastModifiedDateTime"), url=url
            )
            unchanged = (
                old is not None
                and old.hash == digest
                and old.path == path
                and old.groups == who.groups
            )
            status = "unchanged" if unchanged else ("changed" if old is not None else "new")
            if not (
                old is not None and old.hash == digest and self._intact(old) and old.path == path
            ):
                mirror.prepare_access(
                    self.folder, self._entries(), path, who.groups, self.access_file
                )
                mirror.write_atomic(self.folder / path, data)
        self._keep(key, entry)
        getattr(self.report, status).append(url)

    def _failed(self, key: str, url: str, exc: GraphError, old: Entry | None) -> None:
        """A failure: the last copy stays, and the library's changes are read again next time."""
        self.hold = True
        if old is not None:
            self._keep(key, old)
        kept = "; the last copy stays" if old is not None else ""
        self._problem(
            url,
            _reason(exc),
            f"{exc.message}{kept}; tried again next run",
            old.groups if old else [],
        )

    def _skip(self, key: str, url: str, reason: Reason, message: str, old: Entry | None) -> None:
        """Not in the mirror (its earlier copy goes), reported this run and the next ones."""
        self.skipped[key] = [url, reason.value, message]
        if old is not None:
            self.report.removed.append(url)

    def _keep(self, key: str, entry: Entry) -> None:
        self.new[key] = entry

    def _entries(self) -> list[Entry]:
        return [*self.old.values(), *self.new.values()]

    def _relocate(self, key: str, entry: Entry, path: str) -> None:
        """An item delta did not report, at its path now (a folder above it renamed)."""
        path = self._free(path, key)
        if path != entry.path and (self.folder / entry.path).is_file():
            self._move(entry, path, entry.groups)
        self._keep(key, replace(entry, path=path))

    def _move(self, old: Entry, path: str, groups: list[str]) -> None:
        """A renamed or moved item whose content is the same: moved in the mirror."""
        mirror.prepare_access(self.folder, self._entries(), path, groups, self.access_file)
        os.replace(self.folder / old.path, self.folder / path)

    def _free(self, path: str, key: str) -> str:
        """The path, or beside it when another item's name became the same on disk."""
        taken = {e.path for k, e in [*self.old.items(), *self.new.items()] if k != key}
        if path not in taken:
            return path
        stem, ext = os.path.splitext(path)
        return f"{stem}_u{hashlib.sha256(key.encode()).hexdigest()[:10]}{ext}"

    def _path(self, library: str, tree: dict[str, list[str | None]], item_id: str) -> str | None:
        """``<library>/<folders>/<name>`` from the tree, or None outside ``folder`` (or when
        a parent is unknown)."""
        names: list[str] = []
        current: str | None = item_id
        for _ in range(200):
            if current is None or current not in tree:
                return None
            name, parent = tree[current]
            if parent is None:
                break
            names.append(str(name))
            current = parent
        else:
            return None
        names.reverse()
        if tuple(names[: len(self.scope)]) != self.scope or len(names) <= len(self.scope):
            return None
        safe = [mirror.safe_name(n, self.access_file) or "_" for n in names]
        return "/".join([library, *safe])

    def _ancestors(self, tree: dict[str, list[str | None]], item_id: str) -> set[str]:
        found: set[str] = set()
        current = tree.get(item_id, [None, None])[1]
        while current is not None and current not in found:
            found.add(str(current))
            current = tree.get(str(current), [None, None])[1]
        return found

    def _intact(self, entry: Entry) -> bool:
        path = self.folder / entry.path
        return path.is_file() and file_hash(path) == entry.hash

    def _problem(
        self, url: str, reason: Reason, message: str, groups: list[str] | None = None
    ) -> None:
        # Who may see its name where the report is shown: those who read it; none when unknown.
        self.report.problems.append(
            FileResult(url, url, "failed", reason.value, message, groups=groups or [])
        )


def _site_path(site: str) -> str:
    """``sites/{hostname}:/{path}`` (Graph's address by path) or ``sites/{id}``."""
    if ":/" in site:
        host, path = site.split(":/", 1)
        return f"sites/{host}:/{quote(path.strip('/'))}"
    return f"sites/{site}"


def _version(item: dict[str, Any]) -> str:
    """What says an item's content changed: its content hash when Graph gives one (delta
    leaves out cTag on OneDrive for Business), else its cTag, else its eTag."""
    hashes = (item.get("file") or {}).get("hashes") or {}
    for name in ("sha256Hash", "quickXorHash"):
        if hashes.get(name):
            return f"{name}:{hashes[name]}"
    if item.get("cTag"):
        return f"cTag:{item['cTag']}"
    return f"eTag:{item.get('eTag', '')}"


def _reason(exc: Exception) -> Reason:
    if isinstance(exc, GraphError) and exc.sign_in:
        return Reason.SIGN_IN
    if isinstance(exc, GraphError) and exc.timeout:
        return Reason.TIMEOUT
    if isinstance(exc, GraphError) and exc.status is None:
        return Reason.UNREACHABLE
    return Reason.HTTP_ERROR
