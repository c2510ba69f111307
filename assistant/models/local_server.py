"""The local llama.cpp server that runs the packaged model.

``LocalModelServer`` runs ``llama_cpp.server`` on loopback with the joined GGUF file (see
``assistant.models.packaged``), or reuses one of ours already listening on the port, and
speaks the OpenAI protocol like any endpoint. Each start has its own random key, which
every request must carry; a program on the port that this app did not start gets no
question (see ``assistant.models.server_record``).
"""

from __future__ import annotations

import ctypes
import http.client
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from assistant import clock
from assistant.errors import ConfigError, ModelError
from assistant.models.packaged import PACKAGED_MODELS, ensure_model
from assistant.models.server_record import (
    ServerRecord,
    is_running,
    listens_on,
    new_key,
    process_start,
    read_record,
    remove_record,
    write_record,
)
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


def _serves_model(port: int, key: str, timeout: float) -> bool:
    """Whether the server on the loopback port takes ``key`` and lists our model. Ask only
    a process known to be ours: the question shows the key."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/v1/models", headers={"Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        body = response.read()
        ids = {m.get("id") for m in json.loads(body).get("data", [])}
    except (OSError, http.client.HTTPException, ValueError, AttributeError):
        return False
    finally:
        conn.close()
    return response.status == 200 and ALIAS in ids


def _port_free(port: int) -> bool:
    """Whether nothing listens on the loopback port (asked without saying a word)."""
    try:
        socket.create_connection((HOST, port), timeout=2.0).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


class LocalModelServer:
    """``python -m llama_cpp.server`` on loopback, as a context manager.

    If a server this app started already listens on the port (say, the app's: its record
    beside ``log_path`` names the process and the key), it is reused and left running on
    exit; otherwise one is started with a new key, and stopped on exit. Any other program
    on the port is refused, whatever it answers. The server's output goes to ``log_path``.
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
        self.api_key: str | None = None  # what every request must carry; never logged
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
    def record_path(self) -> Path:
        """Where the running server's process and key are kept (mode 0600)."""
        return self.log_path.with_name(f"llama-server-{self.port}.json")

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
        # Known by its process, not by asking: a server writing an answer does not answer
        # /v1/models (it waits for the model) until the answer is done.
        record = read_record(self.record_path)
        if record is not None and record.port == self.port and is_running(record):
            self.reused, self.api_key = True, record.key
            log.info("reusing the llama.cpp server already on %s", self.base_url)
            return self
        if not _port_free(self.port):
            raise ConfigError(
                f"Port {self.port} on {HOST} is taken by another program, not a model server "
                "this app started, so it gets no questions; stop it or choose another port "
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
        self._log.write(f"--- {clock.stamp()} {' '.join(self.command())}\n".encode())
        self._log.flush()
        # Our own settings (which may hold API keys) stay out of the child's environment.
        # HOST, PORT and CONFIG_FILE would override the command line in llama_cpp.server.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("ASSISTANT_") and k not in ("HOST", "PORT", "CONFIG_FILE")
        }
        # Idle OpenMP threads sleep instead of spinning. With other busy processes on a
        # small box (ingest, a second server) spinning made answers up to 8x slower here.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        # The key goes through the environment (llama_cpp.server reads API_KEY), which only
        # this user can read, not the command line, which every local account can.
        key = self.api_key = env["API_KEY"] = new_key()
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
            pid = self._process.pid
            write_record(self.record_path, ServerRecord(pid, process_start(pid), self.port, key))
        except BaseException:
            self.stop()
            raise
        log.info(
            "llama.cpp server ready on %s in %.1f s", self.base_url, time.monotonic() - started
        )
        return self

    def _wait_ready(self, log_offset: int, started: float) -> None:
        assert self._process is not None
        assert self.api_key is not None
        while True:
            code = self._process.poll()
            if code is not None:
                raise ModelError(
                    f"The local model server exited with code {code} before it was ready "
                    f"(log: {self.log_path}):\n{self._log_tail(log_offset)}"
                )
            # Asked only once our child holds the port: a program that took the port
            # first is never shown the key (our child then fails to listen, and exits).
            holds = listens_on(self._process.pid, self.port)
            if holds is not False and _serves_model(self.port, self.api_key, 1.0):
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
            remove_record(self.record_path, process.pid)
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
        self.api_key = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
