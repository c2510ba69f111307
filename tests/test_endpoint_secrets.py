"""An endpoint's credentials never reach a message or a log.

A base URL may carry a password (``user:password@``) or a key in its query
(``?api-key=``). Every endpoint client the factory builds (embeddings, chat, Azure chat,
both rerank protocols), the eval judge and the store server client is pointed at a
loopback endpoint that fails, as a closed port and as a server answering HTTP 500 (which
quotes the request line back, as some proxies do); the error names the host, never the
secret, and nothing logged holds it either.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fixtures_llm import free_port

from assistant.errors import EmbeddingError, ModelError, ServiceError, StoreError
from assistant.models.endpoints import display_url, redact_urls
from assistant.models.factory import build_chat_model, build_embedding, build_reranker
from assistant.settings import (
    EmbeddingSettings,
    EvalSettings,
    ModelSettings,
    RerankSettings,
    Settings,
    StoreSettings,
)
from assistant.store.server import ServerStore
from evals.judge import build_judge
from ingest.status import index_status
from ui.components import endpoint_label

PASSWORD = "losen-ord-7731"
QUERY_KEY = "nyckel-i-fragan-4409"
API_KEY = "api-nyckel-2208"  # sent in a header: never in a message either
SECRETS = (PASSWORD, QUERY_KEY, API_KEY)
MESSAGES = [{"role": "user", "content": "Hur lång är uppsägningstiden?"}]


class _Failing(BaseHTTPRequestHandler):
    """HTTP 500 to everything, quoting the request line (query and all) in the body."""

    def _fail(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = f'{{"error": {{"message": "internt fel vid {self.command} {self.path}"}}}}'
        data = body.encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _fail

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _endpoint(mode: str) -> Iterator[int]:
    if mode == "closed":
        yield free_port()  # bound, then released: nothing listens there
        return
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _url(port: int, path: str = "/v1") -> str:
    return f"http://anna:{PASSWORD}@127.0.0.1:{port}{path}?api-key={QUERY_KEY}"


def _embedding(url: str, tmp_path: Path) -> str:
    model = build_embedding(
        EmbeddingSettings(provider="openai", base_url=url, model="e5", api_key=API_KEY, timeout_s=5)
    )
    try:
        with pytest.raises(EmbeddingError) as caught:
            model.get_query_embedding("Hur lång är uppsägningstiden?")
    finally:
        model.close()
    return str(caught.value)


def _chat(provider: str) -> Callable[[str, Path], str]:
    def ask(url: str, tmp_path: Path) -> str:
        chat = build_chat_model(ModelSettings(provider=provider, base_url=url, api_key=API_KEY))
        try:
            with pytest.raises(ModelError) as caught:
                chat.complete(MESSAGES, max_tokens=5, temperature=0.0)
        finally:
            chat.close()
        return str(caught.value)

    return ask


def _rerank(api: str) -> Callable[[str, Path], str]:
    def rerank(url: str, tmp_path: Path) -> str:
        reranker = build_reranker(
            RerankSettings(provider="endpoint", base_url=url, api=api, api_key=API_KEY)
        )
        assert reranker is not None
        try:
            with pytest.raises(ServiceError) as caught:
                reranker.rerank("uppsägningstid", ["Tre månader.", "Sex veckor."])
        finally:
            reranker.close()
        return str(caught.value)

    return rerank


def _judge(url: str, tmp_path: Path) -> str:
    judge = build_judge(EvalSettings(judge=ModelSettings(provider="openai", base_url=url)))
    assert judge is not None
    graded = judge.grade("Fråga?", "Svar.", "Referens.", ["Ett stycke."])
    assert "judge_error" in graded
    return str(graded)


def _store(url: str, tmp_path: Path) -> str:
    store = StoreSettings(url=url, api_key=API_KEY, timeout_s=2)
    settings = Settings(data_dir=tmp_path, store=store)
    with warnings.catch_warnings():
        # qdrant-client asks the server's version from a thread of its own and warns there
        # when no version comes; the thread is waited for, so its warning stays here.
        warnings.filterwarnings("ignore", message="Failed to obtain server version")
        warnings.filterwarnings("ignore", message="Api key is used with an insecure connection")
        with pytest.raises(StoreError) as caught:
            ServerStore.connect(settings)
        for thread in threading.enumerate():
            if "_check_compatibility" in thread.name:
                thread.join(10)
    return str(caught.value)


CLIENTS: dict[str, Callable[[str, Path], str]] = {
    "embedding": _embedding,
    "chat": _chat("openai"),
    "azure chat": _chat("azure"),
    "rerank tei": _rerank("tei"),
    "rerank cohere": _rerank("cohere"),
    "eval judge": _judge,
    "store server": _store,
}


@pytest.mark.parametrize("mode", ["closed", "http500"])
@pytest.mark.parametrize("client", list(CLIENTS))
def test_a_failing_endpoint_names_its_host_and_never_its_secrets(
    client: str, mode: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with _endpoint(mode) as port:
        message = CLIENTS[client](_url(port), tmp_path)

    assert f"127.0.0.1:{port}" in message
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in SECRETS:
        assert secret not in message
        assert secret not in logged
    if mode == "http500":
        assert "500" in message  # the failure itself is still said


def test_the_app_and_the_cli_name_endpoints_without_their_secrets(tmp_path: Path) -> None:
    model = ModelSettings(provider="openai", base_url=_url(8000), model="gpt-4o-mini")
    assert endpoint_label(model) == "openai: gpt-4o-mini på http://127.0.0.1:8000/v1"

    # The store's location, as the CLI's status line and the Admin page show it.
    settings = Settings(data_dir=tmp_path, store=StoreSettings(url=_url(6333, "")))
    from qdrant_client import QdrantClient

    store = ServerStore.connect(settings, QdrantClient(":memory:"))
    assert store.location == "http://127.0.0.1:6333"
    assert index_status(settings, store).store.location == "http://127.0.0.1:6333"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "POST http://anna:l%C3%B6sen@h:8/v1/x?api-key=k1&v=2 500",
            "POST http://***@h:8/v1/x?api-key=***&v=*** 500",
        ),
        ("fel vid GET /v1?key=k1", "fel vid GET /v1?key=***"),
        ("https://token@host/openai", "https://***@host/openai"),
        ("inget att dölja: a & b=c", "inget att dölja: a & b=c"),
    ],
)
def test_text_quoting_a_url_loses_its_credentials_and_query_values(text: str, shown: str) -> None:
    assert redact_urls(text) == shown


def test_a_url_with_a_broken_port_is_still_named() -> None:
    assert display_url(f"http://anna:{PASSWORD}@host:port/v1") == "http://host/v1"
