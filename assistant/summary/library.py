"""The documents a reader may open as wholes: listing, finding by name, reading in order,
and the other version of one.

Retrieval hands out the best passages for a question; summaries need whole documents.
Both read through the same rule: a document exists for a reader only when one of its
groups is theirs. A document they may not read is "not found", never "forbidden", so its
name is not confirmed either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from assistant.errors import InputError
from assistant.query.contract import Passage
from assistant.query.versions import names
from assistant.store import VectorStore
from assistant.store.access import readable_by
from assistant.store.base import Hit, chunk_point_id
from assistant.store.record import ChunkRecord

_BATCH = 256


@dataclass(frozen=True)
class DocumentInfo:
    """One current document version, as the summaries page lists it."""

    doc_id: str
    file: str  # as citations show it
    rel_path: str  # below the synced folder
    title: str
    doc_type: str | None
    designations: tuple[str, ...]
    decision_date: str | None
    superseded: bool
    supersedes: str | None
    superseded_by: str | None
    page_count: int | None
    chunks: int  # passages of text (the document card not counted)
    index_key: str
    groups: tuple[str, ...]

    @property
    def folder(self) -> str:
        parent = PurePosixPath(self.rel_path).parent.as_posix()
        return "" if parent == "." else parent

    @property
    def label(self) -> str:
        """Title, designation and file, for a pick list."""
        named = f" ({self.designations[0].upper()})" if self.designations else ""
        return f"{self.title or self.file}{named} · {self.rel_path}"


class Library:
    def __init__(self, store: VectorStore) -> None:
        self._store = store

    def documents(self, groups: Sequence[str]) -> list[DocumentInfo]:
        """Every complete document the reader may read, by title."""
        states = [s for s in self._store.doc_states().values() if s.complete_key()]
        firsts = {chunk_point_id(s.doc_id, s.complete_key() or "", 0): s for s in states}
        allowed = set(readable_by(groups))
        found: list[DocumentInfo] = []
        ids = list(firsts)
        for start in range(0, len(ids), _BATCH):
            for hit in self._store.get_points(ids[start : start + _BATCH]):
                record = hit.record
                if allowed.isdisjoint(record.groups):
                    continue
                found.append(_info(record))
        return sorted(found, key=lambda d: (d.title.lower() or d.file.lower(), d.rel_path))

    def find(self, names: Sequence[str], groups: Sequence[str]) -> list[DocumentInfo]:
        """The documents named by file name (as citations show it), path or doc id."""
        readable = self.documents(groups)
        chosen: list[DocumentInfo] = []
        for name in names:
            wanted = name.strip()
            # A path or id names one document; a file name may name several.
            matches = [d for d in readable if wanted in (d.doc_id, d.rel_path)]
            matches = matches or [d for d in readable if d.file == wanted]
            if not matches:
                raise InputError(f"no document {wanted!r} among those you may read")
            if len(matches) > 1:
                paths = ", ".join(d.rel_path for d in matches)
                raise InputError(f"{wanted!r} names several documents ({paths}); give the path")
            if matches[0] not in chosen:
                chosen.append(matches[0])
        return chosen

    def passages(self, doc: DocumentInfo, groups: Sequence[str]) -> list[Passage]:
        """The document's text passages in reading order (the access rule checked again)."""
        ids = [chunk_point_id(doc.doc_id, doc.index_key, i) for i in range(doc.chunks + 1)]
        allowed = set(readable_by(groups))
        hits: list[Hit] = []
        for start in range(0, len(ids), _BATCH):
            hits += self._store.get_points(ids[start : start + _BATCH])
        passages = [
            Passage.from_hit(hit, similarity=0.0)
            for hit in sorted(hits, key=lambda h: h.record.chunk_index)
            if hit.record.kind != "card" and not allowed.isdisjoint(hit.record.groups)
        ]
        if not passages:
            raise InputError(f"no document {doc.file!r} among those you may read")
        return passages

    def card(self, doc: DocumentInfo, groups: Sequence[str]) -> Passage | None:
        """The document's card (title, designation, decided by and when), if it has one."""
        hits = self._store.get_points([chunk_point_id(doc.doc_id, doc.index_key, doc.chunks)])
        allowed = set(readable_by(groups))
        for hit in hits:
            if hit.record.kind == "card" and not allowed.isdisjoint(hit.record.groups):
                return Passage.from_hit(hit, similarity=0.0)
        return None


def other_version(doc: DocumentInfo, readable: dict[str, DocumentInfo]) -> DocumentInfo | None:
    """The readable document ``doc`` replaces or is replaced by, as its header names it
    ("Ersätter: KS 2022/0412 Riktlinje för friskvårdsbidrag 2023"; by title or designation,
    ``assistant.query.versions.names``)."""
    for reference in (doc.superseded_by, doc.supersedes):
        if not reference:
            continue
        for other in readable.values():
            if other.doc_id != doc.doc_id and names(reference, other.title, other.designations):
                return other
    return None


def _info(record: ChunkRecord) -> DocumentInfo:
    return DocumentInfo(
        doc_id=record.doc_id,
        file=record.file,
        rel_path=record.rel_path,
        title=record.title,
        doc_type=record.doc_type,
        designations=record.designations,
        decision_date=record.decision_date,
        superseded=record.superseded,
        supersedes=record.supersedes,
        superseded_by=record.superseded_by,
        page_count=record.page_count,
        chunks=record.chunk_count - 1,  # the last one is the document's card
        index_key=record.index_key,
        groups=record.groups,
    )
