"""What the index holds and how the last sync went, for `assistant status` and the app."""

from __future__ import annotations

from collections import Counter
from typing import Any

from assistant.errors import StoreBusyError
from assistant.settings import Settings
from assistant.store import VectorStore, collection_name, open_store
from ingest.report import load_latest


def index_status(settings: Settings, store: VectorStore | None = None) -> dict[str, Any]:
    """Documents, chunks, last sync and its errors; opens the store unless one is given."""
    status: dict[str, Any] = {
        "store": {
            "kind": "server" if settings.store.url else "embedded",
            "location": settings.store.url or str(settings.store_dir),
            "collection": collection_name(settings),
        },
        "data_dir": str(settings.data_dir),
    }
    owned = store is None
    try:
        if store is None:
            store = open_store(settings)
        states = store.doc_states()
        status["documents"] = len(states)
        status["chunks"] = store.count()
        status["formats"] = dict(sorted(Counter(s.format for s in states.values()).items()))
        status["incomplete_documents"] = sorted(
            s.file for s in states.values() if s.complete_key() is None
        )
        status["last_indexed_at"] = max((s.indexed_at for s in states.values()), default=None)
    except StoreBusyError as exc:
        status["busy"] = str(exc)
    finally:
        if owned and store is not None:
            store.close()
    last = load_latest(settings.reports_dir)
    if last:
        status["last_run"] = {
            "started_at": last["started_at"],
            "finished_at": last["finished_at"],
            "roots": last["roots"],
            "totals": last["totals"],
            "aborted": last["aborted"],
            "errors": [
                {"file": f["file"], "reason": f["reason"], "message": f["message"]}
                for f in last["files"]
                if f["status"] == "failed"
            ],
        }
    else:
        status["last_run"] = None
    return status
