"""What a viewer of the audit trail may read, and the documents a record names, as they
may see them.

Summaries and exports store the documents they were made from by id, never by name
(``detail["doc_ids"]``). A viewer sees the name of a document their groups may read and
"ett dokument utanför dina grupper" for any other; a folder outside what they may read is
said alike. Records written before documents were stored by id name them in ``detail``
(``documents``, ``left_out``, ``file``): such a name is shown only when a document the
viewer may read has it, since which document it meant can no longer be told.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from assistant.summary.library import DocumentInfo

OUTSIDE = "ett dokument utanför dina grupper"
OUTSIDE_FOLDER = "en mapp utanför dina grupper"
NO_FOLDER = "(inget närliggande dokument)"  # a content gap with no document near it
TOP_FOLDER = "/"


@dataclass(frozen=True, eq=False)
class Readable:
    """The documents (id -> file name) and folders a viewer may read; ``everything``: the
    server's operator, who may read all (a document without a known name goes by its id)."""

    names: Mapping[str, str] = field(default_factory=dict)
    folders: frozenset[str] = frozenset()
    everything: bool = False

    @classmethod
    def of(cls, documents: Iterable[DocumentInfo]) -> Readable:
        """What a viewer reads, from the documents their groups may read."""
        docs = list(documents)
        return cls(
            {d.doc_id: d.file for d in docs}, frozenset(d.folder or TOP_FOLDER for d in docs)
        )

    @classmethod
    def operator(cls) -> Readable:
        return cls(everything=True)

    def __contains__(self, doc_id: object) -> bool:
        return self.everything or doc_id in self.names

    def name(self, doc_id: str) -> str:
        """The document's name, or that it lies outside the viewer's groups."""
        if doc_id in self.names:
            return self.names[doc_id]
        return doc_id if self.everything else OUTSIDE

    def has_file(self, name: str) -> bool:
        """Whether a document the viewer may read is called ``name``."""
        return self.everything or name in self._files

    def folder(self, folder: str) -> str:
        if self.everything or folder in (NO_FOLDER, TOP_FOLDER) or folder in self.folders:
            return folder
        return OUTSIDE_FOLDER

    @cached_property
    def _files(self) -> frozenset[str]:
        return frozenset(self.names.values())


def shown_detail(detail: Mapping[str, Any], readable: Readable) -> tuple[dict[str, Any], bool]:
    """A record's ``detail`` as the viewer sees it, the documents named, and whether it
    names a document they may not read."""
    shown = dict(detail)
    ids = detail.get("doc_ids")
    if isinstance(ids, list):
        hidden = any(i not in readable for i in ids)
        shown["documents"] = [readable.name(str(i)) for i in ids]
        left = detail.get("left_out")
        if isinstance(left, list):
            shown["left_out"] = [_left_out(part, readable) for part in left]
    else:
        hidden = _earlier(detail, shown, readable)
    folder = detail.get("folder")
    if isinstance(folder, str):
        shown["folder"] = readable.folder(folder)
    return shown, hidden


def _left_out(part: object, readable: Readable) -> str:
    """A stretch a summary left out, ``{"doc_id": ..., "part": "s. 3–5, Rubrik"}``."""
    if not isinstance(part, dict) or str(part.get("doc_id")) not in readable:
        return OUTSIDE
    where = str(part.get("part") or "")
    return ", ".join(p for p in (readable.name(str(part["doc_id"])), where) if p)


def _earlier(detail: Mapping[str, Any], shown: dict[str, Any], readable: Readable) -> bool:
    """A record written before documents were stored by id: names in ``documents``,
    ``left_out`` ("file, s. 3, Rubrik") and the export's ``file``. Fills ``shown``;
    returns whether a name was withheld."""
    names = detail.get("documents")
    if not isinstance(names, list):
        return False
    files = [str(n) for n in names]
    shown["documents"] = [n if readable.has_file(n) else OUTSIDE for n in files]
    left = detail.get("left_out")
    if isinstance(left, list):
        shown["left_out"] = [_earlier_part(str(p), files, readable) for p in left]
    hidden = not all(readable.has_file(n) for n in files)
    if hidden and isinstance(detail.get("file"), str):  # the download, named after a document
        shown.pop("file")
        shown.setdefault("format", PurePosixPath(detail["file"]).suffix.lstrip("."))
    return hidden


def _earlier_part(part: str, files: list[str], readable: Readable) -> str:
    of = [f for f in files if part == f or part.startswith(f + ", ")]
    return part if of and readable.has_file(max(of, key=len)) else OUTSIDE
