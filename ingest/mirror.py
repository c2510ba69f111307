"""The mirror a source (a web crawl, a SharePoint sync) writes and the folder pipeline indexes.

Each site has a folder named after its host (``intranet.kommun.se``, or
``127.0.0.1_8080`` with a port); each fetched resource is a file at its URL's path below
it. A path ending in "/" is ``index.html``; the extension comes from the Content-Type when
the URL has none the parsers know (``/policy`` served as HTML is ``policy.html``); a query
string is hashed into the name (``page_q3f2a9c01b2.html``); every name is safe on disk
(no hidden names, no ``..``, no access rule files, at most ~120 bytes).

Beside the files:

- ``.crawl.json``, the manifest: per URL its file, ETag, Last-Modified, content hash,
  access groups and (for pages) the links found, so a 304 still tells where to go next.
  A source that tracks its items by id (SharePoint: ``drive id/item id``) keys them so and
  gives each entry its ``url``; its own notes (delta links, the folder tree) go under
  ``state``. ``UrlLookup`` reads it so the index knows each mirrored file's URL.
- ``access.toml`` in every folder that holds files, naming each file's groups under
  ``[files]``: ``ingest.sources.discover`` gives each file exactly the groups the crawl
  decided. It is written before the file it names.

Every file is written atomically (a temporary file, then ``os.replace``): a killed crawl
leaves whole files, and the next crawl removes whatever its manifest does not name
(``settle``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from assistant.store.access import EVERYONE, normalise_groups
from ingest.detect import EXTENSION_FORMATS
from ingest.report import FileResult

MANIFEST = ".crawl.json"
_MAX_NAME = 120
_UNSAFE = re.compile(r"[^\w.\-]+")


@dataclass
class Mirrored:
    """The sources mirrored for one sync (web sites, SharePoint sites): their folders in
    the mirror (the roots to index) and what was not mirrored and why (for the sync's
    report)."""

    roots: list[Path] = field(default_factory=list)
    problems: list[FileResult] = field(default_factory=list)

    def add(self, root: Path, problems: Iterable[FileResult]) -> None:
        self.roots.append(root)
        self.problems += problems

    def extend(self, other: Mirrored) -> None:
        self.roots += other.roots
        self.problems += other.problems


# Content types the parsers read, and the extension their file gets in the mirror.
CONTENT_TYPES: dict[str, str] = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "message/rfc822": ".eml",
    "application/vnd.ms-outlook": ".msg",
}
# Extensions of documents (not pages): fetched when linked, wherever they are on the host.
DOCUMENT_EXTENSIONS = frozenset(e for e, f in EXTENSION_FORMATS.items() if f != "html")


@dataclass
class Entry:
    """One URL (or item) as the last sync left it in the mirror."""

    path: str  # below the site's folder, POSIX
    hash: str  # SHA-256 of the mirrored file
    groups: list[str]
    content_type: str = ""
    etag: str | None = None  # the HTTP ETag; a SharePoint item's version (its content hash)
    last_modified: str | None = None
    links: list[str] = field(default_factory=list)
    url: str | None = None  # what citations link to when the key is not it (an item's webUrl)


def site_folder(url: str) -> str:
    """The folder a site's files live in: its host, and its port when it names one."""
    parts = urlsplit(url)
    host = (parts.hostname or "site").strip("[]").replace(":", "_")
    return f"{host}_{parts.port}" if parts.port else host


def mirror_path(url: str, content_type: str, access_file: str) -> str | None:
    """Where ``url`` goes below its site's folder, or None when neither its Content-Type
    nor its extension is a format the parsers read."""
    parts = urlsplit(url)
    segments = [safe_name(unquote(s), access_file) for s in parts.path.split("/")[1:]]
    if not segments or not segments[-1]:
        segments = [*segments[:-1], "index"] if segments else ["index"]
        known_ext = ""
    else:
        known_ext = known_extension(segments[-1])
    folders = [s for s in segments[:-1] if s]
    name = segments[-1]
    ext = CONTENT_TYPES.get(content_type) or known_ext
    if not ext:
        return None
    stem = name[: -len(known_ext)] if known_ext and known_ext == ext else name
    if ext == ".html" and known_ext == ".htm":
        stem, ext = name[: -len(known_ext)], known_ext
    if parts.query:
        stem += "_q" + hashlib.sha256(parts.query.encode()).hexdigest()[:10]
    return "/".join([*folders, _shortened(stem) + ext])


def known_extension(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    return ext if ext in EXTENSION_FORMATS else ""


def safe_name(segment: str, access_file: str) -> str:
    """A URL path segment (or an item's name) as a file or folder name: letters, digits,
    '-', '_', '.' kept (NFC); never hidden (discover skips those), never '..', never an
    access rule file."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", segment)).strip()
    if not name:
        return ""
    if name.startswith((".", "~")) or name.lower() == access_file.lower():
        name = "_" + name
    return _shortened(name)


def _shortened(name: str) -> str:
    if len(name.encode()) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return name.encode()[: _MAX_NAME - 12].decode(errors="ignore") + "_" + digest


def load_manifest(folder: Path) -> dict[str, Entry]:
    """The manifest in a site's folder; empty when there is none or it cannot be read
    (the crawl then fetches everything again, without conditions)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return {url: Entry(**entry) for url, entry in data["urls"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def load_state(folder: Path) -> dict[str, Any]:
    """The source's own notes in the manifest (empty when there are none)."""
    try:
        state = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("state", {})
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def save_manifest(
    folder: Path, entries: dict[str, Entry], state: dict[str, Any] | None = None
) -> None:
    data: dict[str, Any] = {"urls": {url: asdict(entries[url]) for url in sorted(entries)}}
    if state is not None:
        data["state"] = state
    write_atomic(folder / MANIFEST, json.dumps(data, ensure_ascii=False, indent=1).encode())


def prepare_access(
    folder: Path, entries: Iterable[Entry], rel: str, groups: list[str], access_file: str
) -> None:
    """Name a file's groups in its folder's rules before the file is written there (the
    other files of that folder as ``entries`` say)."""
    path = folder / rel
    files = {
        Path(e.path).name: e.groups for e in entries if (folder / e.path).parent == path.parent
    }
    files[path.name] = groups
    path.parent.mkdir(parents=True, exist_ok=True)
    write_access(path.parent, files, access_file)


def settle(
    folder: Path,
    entries: dict[str, Entry],
    access_file: str,
    state: dict[str, Any] | None = None,
) -> None:
    """Make the folder hold exactly the entries: other files removed (a killed sync's
    leftovers too), each folder's rules naming its files' groups, empty folders gone; then
    the manifest, last."""
    named = {e.path for e in entries.values()}
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).as_posix()
        ours = path.name in (access_file, MANIFEST)
        if path.is_file() and rel not in named and not ours:
            path.unlink()
    by_folder: dict[Path, dict[str, list[str]]] = {}
    for entry in entries.values():
        path = folder / entry.path
        by_folder.setdefault(path.parent, {})[path.name] = entry.groups
    for rules in list(folder.rglob(access_file)):
        write_access(rules.parent, by_folder.pop(rules.parent, {}), access_file)
    for parent, files in by_folder.items():
        write_access(parent, files, access_file)
    for path in sorted(folder.rglob("*"), reverse=True):  # deepest first
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    save_manifest(folder, entries, state)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_access(folder: Path, files: dict[str, list[str]], access_file: str) -> None:
    """The folder's rule file: each file's groups under [files]; its own ``groups`` those
    its files share when they all share them (else the narrowest: never everyone)."""
    if not files:
        (folder / access_file).unlink(missing_ok=True)
        return
    # Narrowest first: a list without everyone, then the fewest groups.
    lists = sorted(
        {tuple(normalise_groups(g)) for g in files.values()},
        key=lambda g: (EVERYONE in g, len(g), g),
    )
    shared = lists[0]
    lines = [f"groups = {_toml_list(shared)}", "", "[files]"]
    lines += [
        f"{json.dumps(name, ensure_ascii=False)} = {_toml_list(files[name])}"
        for name in sorted(files)
    ]
    text = "\n".join(lines) + "\n"
    target = folder / access_file
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        write_atomic(target, text.encode())


def _toml_list(groups: list[str] | tuple[str, ...]) -> str:
    return (
        "[" + ", ".join(json.dumps(g, ensure_ascii=False) for g in normalise_groups(groups)) + "]"
    )


class UrlLookup:
    """The URL each mirrored file was fetched from (or links to), read from the manifest of the site
    folder it lies in (found by walking up from the file; each manifest read once)."""

    def __init__(self) -> None:
        self._sites: dict[Path, dict[str, str] | None] = {}

    def __call__(self, path: Path) -> str | None:
        for folder in path.parents:
            urls = self._site(folder)
            if urls is not None:
                return urls.get(path.relative_to(folder).as_posix())
        return None

    def _site(self, folder: Path) -> dict[str, str] | None:
        if folder not in self._sites:
            if (folder / MANIFEST).is_file():
                entries = load_manifest(folder)
                self._sites[folder] = {e.path: e.url or url for url, e in entries.items()}
            else:
                self._sites[folder] = None
        return self._sites[folder]
