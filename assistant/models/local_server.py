"""The local llama.cpp server that runs the packaged model.

``LocalModelServer`` runs ``llama_cpp.server`` on loopback with the joined GGUF file (see
``assistant.models.packaged``), or reuses one of ours already listening on the port, and
speaks the OpenAI protocol like any endpoint.
"""

from __future__ import annotations

import ctypes
import http.client
import importlib.util
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from assistant.errors import ConfigError, ModelError
from assistant.models.packaged import PACKAGED_MODELS, ensure_model
from assistant.settings import ModelSettings

log = logging.getLogger(__name__)

ALIAS = "local"
HOST = "127.0.0.1"


def die_with_parent() -> None:
    """In the child: the kernel stops the server when its starter dies, even by kill -9."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


class _Port(Enum):
    FREE = "free"
    OURS = "ours"
    OTHER = "other"


def _probe(port: int, timeout: float = 2.0) -> _Port:
    """Who listens on the loopback port: nobody, a llama.cpp server of ours, or another program."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/v1/models")
        response = conn.getresponse()
        body = response.read()
    except ConnectionRefusedError:
        return _Port.FREE
    except (OSError, http.client.HTTPException):
        return _Port.OTHER
    finally:
        conn.close()
    try:
        ids = {m.get("id") for m in json.loads(body).get("data", [])}
    except (ValueError, AttributeError):
        return _Port.OTHER
    return _Port.OURS if response.status == 200 and ALIAS in ids else _Port.OTHER


class LocalModelServer:
    """``python -m llama_cpp.server`` on loopback, as a context manager.

    If a server answering ``/v1/models`` with our alias already listens on the port (say,
    the app's), it is reused and left running on exit; otherwise one is started, and
    stopped on exit. Its output goes to ``log_path``.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        port: int,
        threads: int = 2,
        context_tokens: int = 4096,
        log_path: Path,
        startup_timeout_s: float = 60.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.model_path = model_path
        self.port = port
        self.threads = threads
        self.context_tokens = context_tokens
        self.log_path = log_path
        self.startup_timeout_s = startup_timeout_s
        self.extra_args = tuple(extra_args)
        self.reused = False
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @classmethod
    def from_settings(cls, settings: ModelSettings, models_dir: Path) -> LocalModelServer:
        """Assemble the configured packaged model if needed; the server is not started yet."""
        return cls(
            ensure_model(PACKAGED_MODELS[settings.local_model], models_dir),
            port=settings.local_port,
            threads=settings.local_threads,
            context_tokens=settings.context_tokens,
            log_path=models_dir / "llama-server.log",
        )

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", ALIAS,
            "--host", HOST,
            "--port", str(self.port),
            "--n_ctx", str(self.context_tokens),
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            # Keep logits of the last token only: the default keeps them for every prompt
            # token (measured: 0.5B first token 9.1 s -> 3.0 s, RAM 1.6 -> 0.7 GB).
            "--logits_all", "false",
            # One request at a time, in turn: by default a new request would silently cut
            # the answer being streamed to someone else.
            "--interrupt_requests", "false",
            # No SSE keep-alive pings, so the client's read timeout also bounds the wait
            # for the first token (pings would keep a queued request "alive").
            "--disable_ping_events", "true",
            *self.extra_args,
        ]  # fmt: skip

    def start(self) -> Self:
        """Start (or reuse) the server and wait until it answers; ModelError if it cannot."""
        if self._process is not None or self.reused:
            return self
        state = _probe(self.port)
        if state is _Port.OURS:
            self.reused = True
            log.info("reusing the llama.cpp server already on %s", self.base_url)
            return self
        if state is _Port.OTHER:
            raise ConfigError(
                f"Port {self.port} on {HOST} is taken by another program; choose another "
                "with ASSISTANT_MODEL__LOCAL_PORT."
            )
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError(
                "llama-cpp-python is not installed; install it with: CMAKE_ARGS="
                '"-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF" '
                f"{sys.executable} -m pip install 'llama-cpp-python[server]==0.3.36'"
            )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        offset = self._log.tell()
        self._log.write(f"--- {time.strftime('%F %T')} {' '.join(self.command())}\n".encode())
        self._log.flush()
        # Our own settings (which may hold API keys) stay out of the child's environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        # Idle OpenMP threads sleep instead of spinning. With other busy processes on a
        # small box (ingest, a second server) spinning made answers up to 8x slower here.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        started = time.monotonic()
        self._process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=die_with_parent,
        )
        try:
            self._wait_ready(offset, started)
        except BaseException:
            self.stop()
            raise
        log.info(
            "llama.cpp server ready on %s in %.1f s", self.base_url, time.monotonic() - started
        )
        return self

    def _wait_ready(self, log_offset: int, started: float) -> None:
        assert self._process is not None
        while True:
            code = self._process.poll()
            if code is not None:
                raise ModelError(
                    f"The local model server exited with code {code} before it was ready "
                    f"(log: {self.log_path}):\n{self._log_tail(log_offset)}"
                )
            state = _probe(self.port, timeout=1.0)
            if state is _Port.OURS:
                return
            if time.monotonic() - started > self.startup_timeout_s:
                raise ModelError(
                    f"The local model server on {self.base_url} was not ready after "
                    f"{self.startup_timeout_s:.0f} s (log: {self.log_path}):\n"
                    f"{self._log_tail(log_offset)}"
                )
            time.sleep(0.1)

    def _log_tail(self, offset: int, chars: int = 2000) -> str:
        try:
            with self.log_path.open("rb") as f:
                f.seek(offset)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return text[-chars:].strip()

    def stop(self) -> None:
        """Stop the server we started (a reused one is left running)."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        self.reused = False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
