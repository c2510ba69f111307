"""Which local model server is ours: the record of one this app started, and the check
that the process holding a loopback port is that one.

Any local account can listen on a free loopback port and answer ``/v1/models`` like a
llama.cpp server; a client that trusted that would send it every question with its
passages. So the server is started with a random key (asked of every request), and
another process of this app reuses it only through the record: a file in the models
folder that only this user can read, naming the server's process and key, which is
believed when that very process (same start time) holds the port.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

_TCP_TABLE = Path("/proc/net/tcp")
_LISTEN = "0A"
_LOOPBACK_HEX = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it


@dataclass(frozen=True)
class ServerRecord:
    """A local model server this app started: its process, port and key."""

    pid: int
    started: str  # the process's start time (/proc/<pid>/stat), "" where not known
    port: int
    key: str = field(repr=False)  # never shown, never logged


def new_key() -> str:
    """A fresh random key for one start of the server."""
    return secrets.token_urlsafe(32)


def process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), so a reused pid is not taken
    for the process recorded; "" where the system does not say."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = raw.rsplit(")", 1)[-1].split()  # the name in parentheses may hold spaces
    return fields[19] if len(fields) > 19 else ""


def write_record(path: Path, record: ServerRecord) -> None:
    """Write ``record`` to ``path``, readable by this user only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"pid": record.pid, "started": record.started, "port": record.port,
                   "key": record.key}, f)  # fmt: skip
    os.replace(partial, path)


def read_record(path: Path) -> ServerRecord | None:
    """The record at ``path``; None when there is none, or it is not a file of this user
    that only this user can read (then it is not believed)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, encoding="utf-8") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            log.warning("ignoring %s: not a file that only this user can read", path)
            return None
        try:
            data = json.load(f)
            return ServerRecord(
                pid=int(data["pid"]),
                started=str(data["started"]),
                port=int(data["port"]),
                key=str(data["key"]),
            )
        except (ValueError, KeyError, TypeError):
            return None


def remove_record(path: Path, pid: int) -> None:
    """Remove the record at ``path`` if it is that of process ``pid``."""
    record = read_record(path)
    if record is not None and record.pid == pid:
        path.unlink(missing_ok=True)


def is_running(record: ServerRecord) -> bool:
    """Whether the recorded process is alive and holds the recorded loopback port."""
    if process_start(record.pid) != record.started:  # gone, or its pid reused
        return False
    holds = listens_on(record.pid, record.port)
    return holds if holds is not None else _alive(record.pid)


def listens_on(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` holds the listening socket on 127.0.0.1:``port``; None where
    the system does not tell (no /proc)."""
    try:
        table = _TCP_TABLE.read_text().splitlines()[1:]
    except OSError:
        return None
    wanted = {
        f"socket:[{cols[9]}]"
        for cols in (line.split() for line in table)
        if len(cols) > 9 and cols[1] == f"{_LOOPBACK_HEX}:{port:04X}" and cols[3] == _LISTEN
    }
    if not wanted:
        return False
    fds = Path(f"/proc/{pid}/fd")
    try:
        names = os.listdir(fds)
    except OSError:
        return False
    for name in names:
        try:
            if os.readlink(fds / name) in wanted:
                return True
        except OSError:
            continue
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's: not ours
        return False
    return True
