"""The two costly things many tests share, as fixtures conftest marks by name: the real e5
model (``embedder``: the test embeds documents) and the command line run as its own
process (``run_cli``: seconds of imports per call)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Protocol

import pytest

from assistant.models.embeddings import LocalE5Embedding


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


@pytest.fixture(scope="session")
def run_cli() -> RunCli:
    return _run_cli


@pytest.fixture(scope="session")
def embedder() -> LocalE5Embedding:
    """The local e5 model, loaded once; tests only embed with it."""
    return LocalE5Embedding(model_name="e5")
