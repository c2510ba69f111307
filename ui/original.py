"""A cited document's original file, handed out only as it was indexed.

The index records where each document was and the SHA-256 of its content. What is at that
path today may be something else: a link a writer of the share put in its place (to the
app's ``.env``, the audit database, ``/proc/self/environ`` or a restricted file elsewhere
in the tree), or the same file overwritten with other text, which would be served under
the access groups of the old one. So the original is served only when:

- the path is a regular file, not a link, and no folder on the way there is a link (its
  real path is the path itself);
- it lies under a document root: a configured one (``ingest.roots``) or the folder the
  index says it was synced from (``assistant ingest PATH`` syncs folders the settings need
  not name);
- its bytes hash to the indexed content hash.

The bytes are read once, through one file opened without following links, hashed, and
only those bytes are served or rendered: nothing can be swapped in between the check and
the use.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path, PurePosixPath


class Refusal(StrEnum):
    GONE = "gone"  # nothing at the indexed path
    CHANGED = "changed"  # something else is there now, or it is not where it was


class OriginalRefused(Exception):
    """The file at the indexed path is not the indexed document; ``reason`` says how."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def synced_root(source: str, rel_path: str) -> Path | None:
    """The folder a document was synced from, as its indexed path and its path below that
    folder record it; None when they do not fit together (e.g. a masked name)."""
    path, below = PurePosixPath(source), PurePosixPath(rel_path)
    if not path.is_absolute() or not below.parts or below.is_absolute():
        return None
    if ".." in below.parts or path.parts[-len(below.parts) :] != below.parts:
        return None
    return Path(*path.parts[: -len(below.parts)])


def stamp(path: Path) -> tuple[int, ...] | None:
    """What changes whenever the file at ``path`` (not a link's target) is replaced or
    written: device, inode, size, modification and change time. None: nothing there."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def read_original(path: Path, content_hash: str, roots: Sequence[Path]) -> bytes:
    """The bytes of the file at ``path`` if it is the indexed document; else raises
    ``OriginalRefused``."""
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        raise OriginalRefused(Refusal.GONE, "nothing at the indexed path") from None
    except OSError as exc:
        raise OriginalRefused(Refusal.CHANGED, f"cannot be examined: {exc}") from None
    if not stat.S_ISREG(before.st_mode):
        raise OriginalRefused(Refusal.CHANGED, "not a regular file (a link, or a folder)")
    where = os.path.abspath(path)
    real = os.path.realpath(path)
    if real != where:
        raise OriginalRefused(Refusal.CHANGED, "a folder on the way is a link")
    if not any(Path(real).is_relative_to(root) for root in roots):
        raise OriginalRefused(Refusal.CHANGED, "outside every document root")
    if not content_hash:
        raise OriginalRefused(Refusal.CHANGED, "the index holds no content hash to compare")
    data = _read_regular(where, before)
    if hashlib.sha256(data).hexdigest() != content_hash:
        raise OriginalRefused(Refusal.CHANGED, "the content differs from what was indexed")
    return data


def _read_regular(where: str, before: os.stat_result) -> bytes:
    """The whole file, opened without following a link (nor waiting on a pipe), and only
    if it is still the file examined before."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(where, flags)
    except OSError as exc:
        raise OriginalRefused(Refusal.CHANGED, f"cannot be opened: {exc}") from None
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        same = (opened.st_dev, opened.st_ino) == (before.st_dev, before.st_ino)
        if not stat.S_ISREG(opened.st_mode) or not same:
            raise OriginalRefused(Refusal.CHANGED, "replaced while it was opened")
        return handle.read()
