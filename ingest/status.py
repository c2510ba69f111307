"""What the index holds and how the last sync went, for `assistant status` and the app.

Every file named here carries the groups that may read it: a page shows a name only to
a reader of those groups (a file name is information too; empty groups: nobody).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel

from assistant.errors import StoreBusyError
from assistant.models.endpoints import display_url
from assistant.settings import Settings
from assistant.store import VectorStore, collection_name, open_store
from ingest.report import RunReport, load_latest


class StoreInfo(BaseModel):
    kind: Literal["server", "embedded"]
    location: str  # the server's URL or the embedded store's folder
    collection: str


class IncompleteDocument(BaseModel):
    file: str  # as citations show it
    groups: list[str]  # who may read it


class IndexContents(BaseModel):
    documents: int
    chunks: int
    formats: dict[str, int]  # documents per format, by format name
    incomplete_documents: list[IncompleteDocument]  # files whose indexing was cut short
    last_indexed_at: str | None


class SkippedFile(BaseModel):
    file: str
    reason: str | None
    message: str | None
    groups: list[str]  # who may read it; empty when not known (its rules cannot be read)


class LastSync(BaseModel):
    started_at: str
    finished_at: str | None
    roots: list[str]
    totals: dict[str, int | float]  # ``RunReport.totals()``
    aborted: str | None  # why the run stopped early, if it did
    errors: list[SkippedFile]

    @classmethod
    def of(cls, report: RunReport) -> LastSync:
        return cls(
            started_at=report.started_at,
            finished_at=report.finished_at,
            roots=report.roots,
            totals=report.totals(),
            aborted=report.aborted,
            errors=[
                SkippedFile(file=f.file, reason=f.reason, message=f.message, groups=f.groups)
                for f in report.failed
            ],
        )


class IndexStatus(BaseModel):
    store: StoreInfo
    data_dir: str
    contents: IndexContents | None = None  # None while another process holds the store
    busy: str | None = None  # why the store could not be read
    last_run: LastSync | None = None

    def to_json(self) -> dict[str, Any]:
        """``assistant status --json``: the contents' figures at the top level, or ``busy``."""
        data: dict[str, Any] = {"store": self.store.model_dump(), "data_dir": self.data_dir}
        if self.contents is not None:
            data |= self.contents.model_dump()
        else:
            data["busy"] = self.busy
        data["last_run"] = None if self.last_run is None else self.last_run.model_dump()
        return data


def index_status(settings: Settings, store: VectorStore | None = None) -> IndexStatus:
    """Documents, chunks, last sync and its errors; opens the store unless one is given."""
    contents, busy = None, None
    owned = store is None
    try:
        if store is None:
            store = open_store(settings)
        states = store.doc_states()
        contents = IndexContents(
            documents=len(states),
            chunks=store.count(),
            formats=dict(sorted(Counter(s.format for s in states.values()).items())),
            incomplete_documents=[
                IncompleteDocument(file=s.file, groups=list(s.groups))
                for s in sorted(states.values(), key=lambda s: s.file)
                if s.complete_key() is None
            ],
            last_indexed_at=max((s.indexed_at for s in states.values()), default=None),
        )
    except StoreBusyError as exc:
        busy = str(exc)
    finally:
        if owned and store is not None:
            store.close()
    last = load_latest(settings.reports_dir)
    return IndexStatus(
        store=StoreInfo(
            kind="server" if settings.store.url else "embedded",
            location=display_url(settings.store.url)
            if settings.store.url
            else str(settings.store_dir),
            collection=collection_name(settings),
        ),
        data_dir=str(settings.data_dir),
        contents=contents,
        busy=busy,
        last_run=LastSync.of(last) if last else None,
    )
