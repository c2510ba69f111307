"""A failing store gives one clear ``StoreError``, never a library exception or traceback.

The server back end talks to a real HTTP server on loopback that answers like a Qdrant
which opens fine and then fails: HTTP 500, a dropped connection, or no answer in time.
The embedded back end fails for real: a closed shard, a vector of the wrong size.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from fixtures_heavy import RunCli
from qdrant_client import QdrantClient
from records import chunk_record
from streamlit.testing.v1 import AppTest

from assistant.errors import AssistantError, StoreBusyError, StoreError
from assistant.settings import Settings, load_settings
from assistant.store import EVERYONE, Search, SearchMode, StoredPoint, VectorStore
from assistant.store.boundary import ErrorBoundary, guarded
from assistant.store.edge import EdgeStore
from assistant.store.server import ServerStore

DIMS = 4
APP = Path(__file__).resolve().parents[1] / "ui" / "app.py"
API_KEY = "sekret-key-123"
MODES = ["http500", "hangup", "silent"]
# What each failure reads like in the message.
SAYS = {
    "http500": "HTTP 500 (Internal Server Error): Service internal error: disk full",
    "hangup": "Server disconnected without sending a response",
    "silent": "timed out (ReadTimeout)",
}


# -- a Qdrant that opens and then fails ----------------------------------------------------


@dataclass
class FailingQdrant:
    mode: str
    url: str = ""
    failed: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, key
    version_checked: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    """Answers what opening needs; every other call fails the way ``fake.mode`` says."""

    fake: FailingQdrant  # set on the subclass made per server

    def _handle(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0]
        if self.command == "GET" and path == "/":
            # qdrant-client's version check (a background thread): the client's own
            # version, else it warns that the versions are incompatible.
            version = importlib.metadata.version("qdrant-client")
            self._json(200, {"title": "qdrant - vector search engine", "version": version})
            self.fake.version_checked.set()
            return
        if self.command == "GET" and path.endswith("/exists"):
            self._json(200, {"result": {"exists": True}, "status": "ok", "time": 0.0})
            return
        key = self.headers.get("api-key")
        self.fake.failed.append((self.command, path, key))
        if self.fake.mode == "http500":
            # A server (or a proxy) that echoes the request's key in its error.
            error = f"Service internal error: disk full (request by api-key {key})"
            self._json(500, {"status": {"error": error}, "time": 0.0})
        elif self.fake.mode == "garbled":
            self._json(200, {"result": {"unexpected": "shape"}, "status": "ok", "time": 0.0})
        elif self.fake.mode == "silent":
            self.fake.stopping.wait(10)
        # "hangup", and "silent" once the test is over: close without a response.

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def failing_qdrant(request: pytest.FixtureRequest) -> Iterator[FailingQdrant]:
    fake = FailingQdrant(mode=request.param)
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.stopping.set()
    server.shutdown()
    server.server_close()
    thread.join(2)


def _settings(tmp_path: Path, **store: Any) -> Settings:
    return load_settings(data_dir=tmp_path / "data", embedding={"dimensions": DIMS}, store=store)


@pytest.fixture
def server_store(failing_qdrant: FailingQdrant, tmp_path: Path) -> Iterator[ServerStore]:
    store = ServerStore.connect(_settings(tmp_path, url=failing_qdrant.url, timeout_s=1))
    # qdrant-client checks the server's version from a thread; cut off, it warns from there.
    assert failing_qdrant.version_checked.wait(5)
    yield store
    store.close()


def _point() -> StoredPoint:
    return StoredPoint(
        str(uuid.uuid4()), [1.0, 0.0, 0.0, 0.0], [7], [1.0], chunk_record("a", "Friskvård.")
    )


Operation = Callable[[VectorStore], object]

OPERATIONS: dict[str, Operation] = {
    "search": lambda s: s.search(
        Search(dense=[1.0, 0.0, 0.0, 0.0], sparse=([7], [1.0]), groups=[EVERYONE], limit=3)
    ),
    "dense_search": lambda s: s.search(
        Search(dense=[1.0, 0.0, 0.0, 0.0], sparse=None, groups=[], limit=3, mode=SearchMode.DENSE)
    ),
    "count": lambda s: s.count(),
    "doc_states": lambda s: s.doc_states(),
    "upsert": lambda s: s.upsert([_point()]),
    "delete_doc": lambda s: s.delete_doc("a", keep_key="v1"),
    "get_points": lambda s: s.get_points([str(uuid.uuid4())]),
    "passages_with_term": lambda s: s.passages_with_term(7, [EVERYONE], 10),
}


def _assert_clear(exc: StoreError, where: str) -> None:
    message = str(exc)
    assert message.startswith(f"{where} failed while "), message
    assert "\n" not in message, message
    assert len(message) <= max(200, len(where) + 120), message  # a long path keeps the cause
    assert not isinstance(exc.__cause__, AssistantError), "the library's error is the cause"


# -- the server back end -------------------------------------------------------------------


@pytest.mark.parametrize("failing_qdrant", MODES, indirect=True)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_server_failures_become_store_errors(
    server_store: ServerStore, failing_qdrant: FailingQdrant, operation: str
) -> None:
    with pytest.raises(StoreError) as caught:
        OPERATIONS[operation](server_store)
    assert failing_qdrant.failed, "the call reached the server"
    _assert_clear(caught.value, f"Qdrant at {failing_qdrant.url}")
    assert SAYS[failing_qdrant.mode] in str(caught.value)


@pytest.mark.parametrize("failing_qdrant", ["garbled"], indirect=True)
def test_an_answer_of_the_wrong_shape_is_a_store_error(
    server_store: ServerStore, failing_qdrant: FailingQdrant
) -> None:
    with pytest.raises(StoreError) as caught:
        server_store.count()
    _assert_clear(caught.value, f"Qdrant at {failing_qdrant.url}")
    assert "an answer the client could not read" in str(caught.value)


@pytest.mark.parametrize("failing_qdrant", ["hangup"], indirect=True)
def test_a_failure_while_scrolling_is_raised_while_iterating(
    server_store: ServerStore, failing_qdrant: FailingQdrant
) -> None:
    payloads = server_store._scroll_payloads(["doc_id"])  # nothing is sent before iterating
    assert not failing_qdrant.failed
    with pytest.raises(StoreError, match="failed while listing the stored passages"):
        next(payloads)


@pytest.mark.parametrize("failing_qdrant", ["http500"], indirect=True)
def test_the_api_key_never_reaches_the_message(
    failing_qdrant: FailingQdrant, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, url=failing_qdrant.url, timeout_s=1, api_key=API_KEY)
    # The key as a header: qdrant-client warns about ``api_key=`` over plain http.
    client = QdrantClient(
        url=failing_qdrant.url, timeout=1, headers={"api-key": API_KEY}, check_compatibility=False
    )
    store = ServerStore.connect(settings, client=client)
    try:
        with pytest.raises(StoreError) as caught:
            store.search(
                Search(dense=[1.0, 0.0, 0.0, 0.0], sparse=([7], [1.0]), groups=[], limit=3)
            )
    finally:
        store.close()
    assert failing_qdrant.failed[0][2] == API_KEY, "the server got the key and echoed it"
    assert API_KEY not in str(caught.value)
    assert "request by api-key ***" in str(caught.value)


def test_an_unreachable_server_is_a_store_error_when_opening(tmp_path: Path) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), _Handler) as closed:
        url = f"http://127.0.0.1:{closed.server_address[1]}"
    settings = _settings(tmp_path, url=url, timeout_s=1)
    client = QdrantClient(url=url, timeout=1, check_compatibility=False)
    with pytest.raises(StoreError) as caught:
        ServerStore.connect(settings, client=client)
    _assert_clear(caught.value, f"Qdrant at {url}")
    assert "opening the collection" in str(caught.value)


# -- the command line ----------------------------------------------------------------------


def _cli(
    run_cli: RunCli, fake: FailingQdrant, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "ASSISTANT_STORE__URL": fake.url,
        "ASSISTANT_STORE__TIMEOUT_S": "1",
        "HF_HUB_OFFLINE": "1",
    }
    return run_cli(*args, data_dir=tmp_path / "data", env=env, timeout=120)


def _assert_one_service_error(result: subprocess.CompletedProcess[str], url: str) -> None:
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Service error: Qdrant at {url} failed while "), lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize("failing_qdrant", ["http500"], indirect=True)
def test_cli_ask_reports_a_failing_server(
    failing_qdrant: FailingQdrant, tmp_path: Path, run_cli: RunCli
) -> None:
    question = "Hur stort är friskvårdsbidraget?"
    result = _cli(
        run_cli, failing_qdrant, tmp_path, "ask", question, "--mode", "extractive", "--json"
    )
    _assert_one_service_error(result, failing_qdrant.url)
    assert SAYS["http500"] in result.stderr


@pytest.mark.parametrize("failing_qdrant", MODES, indirect=True)
def test_cli_status_reports_a_failing_server(
    failing_qdrant: FailingQdrant, tmp_path: Path, run_cli: RunCli
) -> None:
    result = _cli(run_cli, failing_qdrant, tmp_path, "status", "--json")
    _assert_one_service_error(result, failing_qdrant.url)
    assert SAYS[failing_qdrant.mode] in result.stderr


# -- the embedded back end -----------------------------------------------------------------


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_edge_operations_on_a_closed_store_raise_store_errors(
    tmp_path: Path, operation: str
) -> None:
    store = EdgeStore.open(_settings(tmp_path))
    store.close()
    with pytest.raises(StoreError) as caught:
        OPERATIONS[operation](store)
    _assert_clear(caught.value, f"The embedded store at {store.location}")
    assert "Shard is not initialized" in str(caught.value)


def test_edge_search_with_a_vector_of_the_wrong_size_is_a_store_error(tmp_path: Path) -> None:
    store = EdgeStore.open(_settings(tmp_path))
    try:
        with pytest.raises(StoreError, match="failed while searching: Vector dimension error"):
            store.search(
                Search(dense=[1.0, 0.0], sparse=None, groups=[], limit=3, mode=SearchMode.DENSE)
            )
        assert store.count() == 0, "the store still works after a failed call"
    finally:
        store.close()


# -- the boundary itself -------------------------------------------------------------------


class _Engine:
    """A store-shaped object whose engine fails as told."""

    def __init__(self, failure: BaseException) -> None:
        self.boundary = ErrorBoundary("Qdrant at http://qdrant:6333", secrets=[API_KEY, None])
        self.failure = failure

    @guarded("searching")
    def search(self) -> list[str]:
        raise self.failure

    @guarded("listing the stored passages")
    def scroll(self) -> Generator[str, None, None]:
        yield "first"
        raise self.failure


def test_the_boundary_keeps_one_short_line_without_secrets() -> None:
    failure = ValueError(f"bad answer for key {API_KEY}: " + "x" * 300 + "\nsecond line")
    with pytest.raises(StoreError) as caught:
        _Engine(failure).search()
    message = str(caught.value)
    assert message.startswith(
        "Qdrant at http://qdrant:6333 failed while searching: ValueError: bad answer for key ***"
    )
    assert API_KEY not in message
    assert "second line" not in message
    assert len(message) <= 200
    assert caught.value.__cause__ is failure


@pytest.mark.parametrize(
    "failure", [StoreBusyError("in use by process 1"), StoreError("A stored chunk is odd")]
)
def test_the_projects_own_errors_pass_unchanged(failure: AssistantError) -> None:
    with pytest.raises(type(failure)) as caught:
        _Engine(failure).search()
    assert caught.value is failure


def test_a_generator_is_guarded_while_it_runs() -> None:
    items = _Engine(ConnectionResetError("reset by peer")).scroll()
    assert next(items) == "first"
    with pytest.raises(StoreError, match="listing the stored passages: ConnectionResetError"):
        next(items)
    stopped_early = _Engine(ValueError("never reached")).scroll()
    assert next(stopped_early) == "first"
    stopped_early.close()  # closing a generator early is not a failure


@pytest.mark.parametrize("failing_qdrant", ["http500"], indirect=True)
def test_the_app_says_so_when_the_server_fails(
    failing_qdrant: FailingQdrant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_STORE__URL", failing_qdrant.url)
    monkeypatch.setenv("ASSISTANT_STORE__TIMEOUT_S", "1")
    monkeypatch.setenv("ASSISTANT_ANSWER__MODE", "extractive")
    st.cache_resource.clear()
    try:
        app = AppTest.from_file(APP, default_timeout=60).run()
        assert not app.exception, app.exception
        app.chat_input[0].set_value("Hur stort är friskvårdsbidraget?").run()
        assert not app.exception, app.exception
        shown = " ".join(e.value for e in app.error)
        assert f"Qdrant at {failing_qdrant.url} failed while searching" in shown
        app.switch_page("app_pages/admin.py").run()
        assert not app.exception, app.exception
        assert "Indexet går inte att läsa just nu" in app.error[0].value
        assert "Traceback" not in " ".join(e.value for e in app.error)
    finally:
        st.cache_resource.clear()  # closes the runtime
