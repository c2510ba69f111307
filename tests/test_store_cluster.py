"""How a Qdrant cluster spreads the collection: ``store.shards``, ``store.replicas`` and
``store.write_consistency`` reach the server when the collection is created.

No Qdrant server can run here and qdrant-client's in-memory mode drops these fields, so
the real client talks to a small HTTP stand-in on loopback that answers the few calls
``ServerStore.connect`` makes and keeps what it was sent.
"""

from __future__ import annotations

import importlib.metadata
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import ConfigError
from assistant.settings import load_settings
from assistant.store.record import FILTERED_FIELDS
from assistant.store.server import ServerStore

VERSION = importlib.metadata.version("qdrant-client")  # a server of the client's version


class _Recorder(BaseHTTPRequestHandler):
    """Answers like a Qdrant server with no collections; keeps (method, path, body)."""

    calls: list[tuple[str, str, Any]]

    def _reply(self, result: Any) -> None:
        body = json.dumps({"result": result, "status": "ok", "time": 0.0}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.calls.append((self.command, self.path.split("?")[0], body))
        return body

    def do_GET(self) -> None:
        self._record()
        if self.path == "/":  # the client's version check
            body = json.dumps({"title": "qdrant", "version": VERSION})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())
        elif self.path.endswith("/exists"):
            self._reply({"exists": False})
        else:
            self.send_error(404)

    def do_PUT(self) -> None:
        self._record()
        if self.path.split("?")[0].endswith("/index"):
            self._reply({"operation_id": 1, "status": "completed"})
        else:
            self._reply(True)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[tuple[str, str, Any]]]]:
    calls: list[tuple[str, str, Any]] = []
    handler = type("Handler", (_Recorder,), {"calls": calls})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", calls
        # The client checks the server's version in a thread of its own: let it finish.
        deadline = time.monotonic() + 10
        while ("GET", "/", None) not in calls and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        httpd.shutdown()
        httpd.server_close()


def _created(calls: list[tuple[str, str, Any]], collection: str) -> dict[str, Any]:
    bodies = [b for m, p, b in calls if m == "PUT" and p == f"/collections/{collection}"]
    assert len(bodies) == 1, calls
    body: dict[str, Any] = bodies[0]
    return body


def test_a_cluster_collection_gets_its_shards_and_replicas(
    server: tuple[str, list[tuple[str, str, Any]]], tmp_path: Path
) -> None:
    url, calls = server
    settings = load_settings(
        data_dir=tmp_path, store={"url": url, "shards": 6, "replicas": 2, "write_consistency": 2}
    )
    store = ServerStore.connect(settings)
    store.close()
    body = _created(calls, store.collection)
    assert (body["shard_number"], body["replication_factor"]) == (6, 2)
    assert body["write_consistency_factor"] == 2
    assert set(body["vectors"]) == {"dense"}  # the same schema as ever
    indexed = {b["field_name"] for m, p, b in calls if p.endswith("/index")}
    assert indexed == set(FILTERED_FIELDS)


def test_a_single_server_keeps_one_shard(
    server: tuple[str, list[tuple[str, str, Any]]], tmp_path: Path
) -> None:
    url, calls = server
    store = ServerStore.connect(load_settings(data_dir=tmp_path, store={"url": url}))
    store.close()
    body = _created(calls, store.collection)
    assert (body["shard_number"], body["replication_factor"]) == (1, 1)


@pytest.mark.parametrize(
    "store", [{"shards": 0}, {"replicas": 0}, {"replicas": 2, "write_consistency": 3}]
)
def test_impossible_layouts_are_refused(store: dict[str, int]) -> None:
    with pytest.raises(ConfigError, match="store"):
        load_settings(store=store)
