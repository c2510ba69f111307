"""Vectors by content: a chunk whose text was embedded before is never embedded again.

The key is the embedded text together with what shapes its vector (provider, model,
dimensions, passage prefix), so a changed document re-embeds only its changed chunks,
identical chunks (a letterhead, a repeated disclaimer, a junk file of one word) cost one
call, and a killed run started again picks up what it had embedded. The cache is a SQLite
file under the data folder; entries unused for ``keep_days`` are pruned after each run.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.settings import Settings

Embed = Callable[[list[str]], list[list[float]]]
_BATCH = 500  # keys per SELECT: below SQLite's variable limit


class EmbeddingCache:
    def __init__(self, path: Path, model_key: str, keep_days: int = 30) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL, "
            "used REAL NOT NULL)"
        )
        self._db.commit()
        self._model = model_key
        self._keep = keep_days
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @classmethod
    def for_settings(cls, settings: Settings) -> EmbeddingCache:
        e = settings.embedding
        model_key = f"{e.provider}|{e.model}|{e.dimensions}|{e.passage_prefix}"
        return cls(settings.data_dir / "cache" / "embeddings.sqlite", model_key)

    def embed(self, texts: Sequence[str], embed: Embed) -> list[list[float]]:
        """Vectors of ``texts`` in order: from the cache, the rest from ``embed`` (each
        distinct text once), which are then kept."""
        keys = [self._key(t) for t in texts]
        found = self._lookup(set(keys))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            fresh = embed(missing)
            new = {
                self._key(t): np.asarray(v, dtype=np.float32)
                for t, v in zip(missing, fresh, strict=True)
            }
            self._store(new)
            found.update(new)
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        return [found[k].tolist() for k in keys]

    def prune(self) -> int:
        """Forget vectors unused for ``keep_days``; returns how many."""
        cutoff = time.time() - self._keep * 86400
        with self._lock:
            removed = self._db.execute("DELETE FROM vectors WHERE used < ?", (cutoff,)).rowcount
            self._db.commit()
        return removed

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self._model}\x00{text}".encode()).digest()

    def _lookup(self, keys: set[bytes]) -> dict[bytes, np.ndarray]:
        wanted = list(keys)
        found: dict[bytes, np.ndarray] = {}
        now = time.time()
        with self._lock:
            for start in range(0, len(wanted), _BATCH):
                part = wanted[start : start + _BATCH]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part
                ).fetchall()
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
                self._db.execute(
                    f"UPDATE vectors SET used = ? WHERE key IN ({marks})", [now, *part]
                )
            self._db.commit()
        return found

    def _store(self, vectors: dict[bytes, np.ndarray]) -> None:
        now = time.time()
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (key, vector, used) VALUES (?, ?, ?)",
                [(k, v.tobytes(), now) for k, v in vectors.items()],
            )
            self._db.commit()
