"""The two costly things many tests share, as fixtures conftest marks by name: the real e5
model (``embedder``: the test embeds documents) and the command line run as its own
process (``run_cli``: seconds of imports per call)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Protocol

import pytest

from assistant.models.embeddings import LocalE5Embedding
from assistant.settings import load_settings
from assistant.store.edge import EdgeStore


def cli_command(*args: str) -> list[str]:
    """The ``assistant`` command line as this interpreter runs it."""
    return [sys.executable, "-m", "cli.main", *args]


class RunCli(Protocol):
    def __call__(
        self,
        *args: str,
        data_dir: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        clear: tuple[str, ...] = (),
        cwd: Path | None = None,
        timeout: float = 300,
        stdin: int | IO[Any] | None = None,
    ) -> subprocess.CompletedProcess[str]: ...


def _run_cli(
    *args: str,
    data_dir: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    clear: tuple[str, ...] = (),
    cwd: Path | None = None,
    timeout: float = 300,
    stdin: int | IO[Any] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``assistant ARGS`` in this environment, without the variables named by the
    ``clear`` prefixes, with ``ASSISTANT_DATA_DIR`` set to ``data_dir`` if given and then
    ``env`` on top; output captured as text."""
    kept = {k: v for k, v in os.environ.items() if not (clear and k.startswith(clear))}
    where = {} if data_dir is None else {"ASSISTANT_DATA_DIR": str(data_dir)}
    return subprocess.run(
        cli_command(*args),
        capture_output=True,
        text=True,
        env={**kept, **where, **(env or {})},
        cwd=cwd,
        timeout=timeout,
        stdin=stdin,
        check=False,
    )


def killed_and_run_again(
    run_cli: RunCli, env: Mapping[str, str], data: Path, fresh: Path, mirrored: str
) -> tuple[dict[str, int], dict[str, int]]:
    """``assistant ingest`` (the sources ``env`` configures) killed with SIGKILL once four
    files matching ``mirrored`` are in its mirror, then run again in ``data``; and run from
    nothing in ``fresh``. Each index's points per file name, every document complete."""
    with subprocess.Popen(
        cli_command("ingest"),
        env={**os.environ, "ASSISTANT_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as proc:
        deadline = time.monotonic() + 120
        while len(list((data / "sources").rglob(mirrored))) < 4:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run did not start mirroring"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    for folder in (data, fresh):
        done = run_cli("ingest", "--json", data_dir=folder, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
    return _points(data), _points(fresh)


def _points(data: Path) -> dict[str, int]:
    store = EdgeStore.open(load_settings(data_dir=data))
    try:
        states = store.doc_states()
        assert all(s.complete_key() for s in states.values()), "an unfinished document"
        return {Path(s.source).name: s.points for s in states.values()}
    finally:
        store.close()


@pytest.fixture(scope="session")
def run_cli() -> RunCli:
    return _run_cli


@pytest.fixture(scope="session")
def embedder() -> LocalE5Embedding:
    """The local e5 model, loaded once; tests only embed with it."""
    return LocalE5Embedding(model_name="e5")
