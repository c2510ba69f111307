"""One owner per embedded store: an exclusive lock taken before the engine opens files.

Qdrant Edge cannot share a folder between processes, and a second open can damage the
owner's files, so we lock first. The OS releases the lock when the owner dies, even by
kill -9, so a crashed job never leaves a stale lock behind.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from filelock import FileLock, Timeout

from assistant import clock
from assistant.errors import StoreBusyError


class StoreLock:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(folder / "owner.lock"), thread_local=False)
        self._owner_file = folder / "owner.json"
        self.folder = folder

    def acquire(self) -> None:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise StoreBusyError(self._busy_message()) from None
        self._owner_file.write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "command": " ".join(sys.argv[:3]),
                    "since": clock.stamp(),
                }
            )
        )

    def release(self) -> None:
        if self._lock.is_locked:
            self._owner_file.unlink(missing_ok=True)
            self._lock.release()

    def _busy_message(self) -> str:
        try:
            owner = json.loads(self._owner_file.read_text())
            who = (
                f"process {owner['pid']} ({owner['command']}, since {clock.shown(owner['since'])})"
            )
        except (OSError, ValueError, KeyError):
            who = "another process"
        return (
            f"The embedded store at {self.folder} is in use by {who}. "
            "Only one process can own it: stop that process (or run the sync from the app's "
            "admin page), then try again. To ingest while the app serves, run a Qdrant server "
            "and set ASSISTANT_STORE__URL for both."
        )
