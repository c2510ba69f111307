"""What one chunk carries in Qdrant: written by ``ingest/``, read by the query path.

One model for both sides, so a field is named once and has one type: booleans are
booleans, absent document fields are ``None``. The store keeps it as the point's payload.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ChunkRecord(BaseModel):
    """A chunk of one version of one document, with what a citation needs."""

    # Records written by an earlier version may carry fields this one no longer knows.
    model_config = ConfigDict(frozen=True, extra="ignore")

    # -- the document version --------------------------------------------------------
    doc_id: str
    index_key: str  # content, readers and chunker version: what makes a version current
    content_hash: str
    chunk_count: int  # chunks of this version, so a half-written one is recognised
    source: str  # the file's path
    file: str  # the file's name, as citations show it
    rel_path: str  # the path below the folder that was synced
    url: str | None = None  # the live page a web source's file was mirrored from
    title: str
    format: str
    page_count: int | None = None
    groups: tuple[str, ...]  # who may read it; "*" is everyone
    modified: str  # the file's modification time, ISO 8601
    indexed_at: str
    doc_lang: str
    # Read from the document's header block when it has one (ingest/metadata.py).
    decision_date: str | None = None
    decided_by: str | None = None
    registration_number: str | None = None
    valid_until: str | None = None  # an ISO date or "Tills vidare"
    doc_type: str | None = None
    supersedes: str | None = None
    superseded_by: str | None = None
    superseded: bool = False
    email: dict[str, str] = {}  # sender, recipients, subject, date of an e-mail
    # What the document is called by ("sfs 2017:725", "kl", "bfs 1992:46"), canonical as
    # ``assistant.text.designations`` writes them, so a question naming it finds it.
    designations: tuple[str, ...] = ()
    # Personal identity numbers in the document as parsed (distinct numbers, whatever the
    # policy), and the policy it was indexed under: "mask" (its text holds ÅÅMMDD-XXXX in
    # their place; the original file still holds them) or "flag" (kept). None: none found.
    personal_numbers: int = 0
    personal_policy: str | None = None

    # -- the chunk ---------------------------------------------------------------------
    chunk_index: int
    text: str
    kind: str  # text, table, list or title
    page: int | None = None  # 1-based
    page_label: str | None = None
    heading_path: tuple[str, ...] = ()
    heading: str | None = None  # the heading path joined with " > "
    sections: tuple[str, ...] = ()  # the section references it holds: "5 kap. 3 §"
    ocr: bool = False
    tokens: int
    lang: str
    # Sentences of this chunk that read like instructions to a model (assistant.text.
    # injection): listed at ingest, left out of what a model or an extractive answer reads.
    instructions: tuple[str, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The record as a Qdrant payload (JSON types only)."""
        return self.model_dump(mode="json")


# Payload fields the stores filter on, so they get a keyword index; nothing else does.
FILTERED_FIELDS = ("doc_id", "index_key", "groups", "designations", "sections")
# Bump when the record gains a field something filters on: the store then starts a fresh
# collection, with an index on it. 2 = designations and sections.
SCHEMA_VERSION = 2
# Payload fields that describe a document's indexed state (read by sync and status).
STATE_FIELDS = [
    "doc_id",
    "index_key",
    "chunk_count",
    "source",
    "file",
    "title",
    "format",
    "indexed_at",
    "groups",
    "personal_numbers",
    "personal_policy",
]
