"""Rerankers: our client against a real loopback server that speaks the TEI and the
Cohere-style rerank APIs and scores by word overlap, and clear, key-free errors."""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fixtures_llm import free_port
from pydantic import SecretStr, ValidationError

from assistant.errors import ServiceError
from assistant.models.embeddings import LocalE5Embedding
from assistant.models.factory import build_reranker
from assistant.models.rerank import EndpointReranker
from assistant.query.retrieve import Retriever
from assistant.settings import RerankSettings, Settings
from assistant.store.edge import EdgeStore

KEY = "sk-test-hemlig-nyckel"
QUERY = "Hur lång är handläggningstiden för bygglov?"
TEXTS = [
    "Skolskjuts beviljas elever som har långt till skolan.",
    "Handläggningstiden för bygglov är normalt tio veckor.",
    "Ansökan om bygglov lämnas till byggnadsnämnden.",
]
# Share of the question's six words each text holds: none; är, för, bygglov,
# handläggningstiden; bygglov.
EXPECTED = [0.0, 4 / 6, 1 / 6]


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _overlap(query: str, text: str) -> float:
    words = _words(query)
    return len(words & _words(text)) / len(words)


class _RerankServer(http.server.ThreadingHTTPServer):
    """Records requests; ``mode`` picks a healthy answer or a way to fail."""

    daemon_threads = False  # server_close() waits for every handler: no stray threads

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RerankHandler)
        self.mode = "ok"
        self.key: str | None = None
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()  # ends the "slow" handler's wait

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RerankHandler(http.server.BaseHTTPRequestHandler):
    """TEI ``POST /rerank`` and Cohere-style ``POST /v1/rerank``, scoring by word overlap."""

    server: _RerankServer
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    timeout = 5  # an idle kept-alive connection cannot hold up the teardown

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.requests.append(
            {"path": self.path, "headers": headers, "body": body, "peer": self.client_address}
        )
        mode = self.server.mode
        if self.server.key and headers.get("authorization") != f"Bearer {self.server.key}":
            self._send(401, {"error": "invalid api key"})
        elif mode == "slow":
            self.server.release.wait(5)
            with contextlib.suppress(OSError):  # the client gave up long ago
                self._send(200, [])
        elif mode == "error-echoing-the-key":
            sent = headers.get("authorization", "")
            self._send(500, {"error": f"model overloaded (request had {sent})"})
        elif mode == "not-json":
            self._send(200, b"<html><body>Gateway says hi</body></html>")
        elif self.path == "/rerank":
            self._tei(body)
        elif self.path == "/v1/rerank":
            self._cohere(body)
        else:
            self._send(404, {"error": f"no route {self.path}"})

    def _tei(self, body: dict[str, Any]) -> None:
        if set(body) != {"query", "texts", "raw_scores", "truncate"}:
            self._send(422, {"error": f"unexpected fields {sorted(body)}"})
            return
        ranked = self._ranked(body["query"], body["texts"])
        self._send(200, [{"index": i, "score": s} for i, s in self._broken(ranked)])

    def _cohere(self, body: dict[str, Any]) -> None:
        if set(body) != {"model", "query", "documents", "top_n"}:
            self._send(422, {"error": f"unexpected fields {sorted(body)}"})
            return
        ranked = self._ranked(body["query"], body["documents"])[: body["top_n"]]
        results = [{"index": i, "relevance_score": s} for i, s in self._broken(ranked)]
        self._send(200, {"id": "r-1", "model": body["model"], "results": results})

    @staticmethod
    def _ranked(query: str, texts: list[str]) -> list[tuple[Any, Any]]:
        scores = [_overlap(query, t) for t in texts]
        return sorted(enumerate(scores), key=lambda pair: pair[1], reverse=True)

    def _broken(self, ranked: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        """The ranking as the current mode spoils it."""
        mode = self.server.mode
        if mode == "duplicate-index":
            return [ranked[0], *ranked[:-1]]
        if mode == "index-out-of-range":
            return [*ranked[:-1], (len(ranked), ranked[-1][1])]
        if mode == "missing-index":
            return ranked[:-1]
        if mode == "score-not-a-number":
            return [(i, str(s)) for i, s in ranked]
        return ranked

    def _send(self, status: int, payload: object) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_RerankServer]:
    server = _RerankServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def make(server: _RerankServer) -> Iterator[Callable[..., EndpointReranker]]:
    """Builds rerankers and closes them before the server stops."""
    made: list[EndpointReranker] = []

    def build(base_url: str | None = None, **options: Any) -> EndpointReranker:
        reranker = EndpointReranker(base_url or server.url, **options)
        made.append(reranker)
        return reranker

    yield build
    for reranker in made:
        reranker.close()


def test_tei_scores_come_back_in_input_order(
    server: _RerankServer, make: Callable[..., EndpointReranker]
) -> None:
    reranker = make()
    scores = reranker.rerank(QUERY, TEXTS)
    assert scores == pytest.approx(EXPECTED)
    assert sorted(range(len(TEXTS)), key=lambda i: -scores[i]) == [1, 2, 0]
    [request] = server.requests
    assert request["path"] == "/rerank"
    assert request["body"] == {
        "query": QUERY,
        "texts": TEXTS,
        "raw_scores": False,
        "truncate": True,
    }
    assert "authorization" not in request["headers"]
    assert reranker.name == "tei:default"


def test_tei_reuses_one_connection(
    server: _RerankServer, make: Callable[..., EndpointReranker]
) -> None:
    reranker = make()
    first = reranker.rerank(QUERY, TEXTS)
    second = reranker.rerank("Vilka elever beviljas skolskjuts?", TEXTS)
    assert first == pytest.approx(EXPECTED)
    assert second == pytest.approx([3 / 4, 0.0, 0.0])
    assert server.requests[0]["peer"] == server.requests[1]["peer"]


@pytest.mark.parametrize("suffix", ["", "/v1", "/v1/"])
def test_cohere_style_api_sends_model_and_top_n(
    server: _RerankServer, make: Callable[..., EndpointReranker], suffix: str
) -> None:
    reranker = make(server.url + suffix, model="BAAI/bge-reranker-v2-m3", api="cohere")
    # Reverse the input so the best text is first and the server's order differs again.
    scores = reranker.rerank(QUERY, TEXTS[::-1])
    assert scores == pytest.approx(EXPECTED[::-1])
    [request] = server.requests
    assert request["path"] == "/v1/rerank"
    assert request["body"] == {
        "model": "BAAI/bge-reranker-v2-m3",
        "query": QUERY,
        "documents": TEXTS[::-1],
        "top_n": 3,
    }
    assert reranker.name == "cohere:BAAI/bge-reranker-v2-m3"


def test_the_api_key_is_sent_as_a_bearer_token_and_nowhere_else(
    server: _RerankServer, make: Callable[..., EndpointReranker]
) -> None:
    server.key = KEY
    reranker = make(api_key=SecretStr(KEY))
    assert reranker.rerank(QUERY, TEXTS) == pytest.approx(EXPECTED)
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"
    assert KEY not in f"{reranker.name} {reranker.endpoint} {reranker.url} {vars(reranker)}"


def test_no_texts_means_no_call(
    server: _RerankServer, make: Callable[..., EndpointReranker]
) -> None:
    assert make().rerank(QUERY, []) == []
    assert server.requests == []


@pytest.mark.parametrize(
    ("mode", "api", "message"),
    [
        ("error-echoing-the-key", "tei", r"HTTP 500: .*model overloaded"),
        ("not-json", "tei", r"answer is not JSON \(<html>"),
        ("duplicate-index", "tei", r"index 1 returned twice"),
        ("duplicate-index", "cohere", r"index 1 returned twice"),
        ("index-out-of-range", "tei", r"index 3 out of range for 3 texts"),
        ("missing-index", "cohere", r"no score for 1 of 3 texts"),
        ("score-not-a-number", "tei", r"a number 'score'"),
        ("score-not-a-number", "cohere", r"a number 'relevance_score'"),
    ],
)
def test_bad_answers_are_service_errors_without_the_key(
    server: _RerankServer,
    make: Callable[..., EndpointReranker],
    mode: str,
    api: str,
    message: str,
) -> None:
    server.mode = mode
    reranker = make(api=api, model="m", api_key=SecretStr(KEY))
    with pytest.raises(ServiceError, match=message) as caught:
        reranker.rerank(QUERY, TEXTS)
    assert str(caught.value).startswith(f"Rerank endpoint {reranker.url} failed: ")
    assert KEY not in str(caught.value)


def test_a_wrong_key_is_an_http_error(
    server: _RerankServer, make: Callable[..., EndpointReranker]
) -> None:
    server.key = "the-right-key"
    reranker = make(api_key=SecretStr(KEY))
    with pytest.raises(ServiceError, match="HTTP 401") as caught:
        reranker.rerank(QUERY, TEXTS)
    assert KEY not in str(caught.value)


def test_a_wrong_path_is_an_http_error(
    server: _RerankServer, make: Callable[..., EndpointReranker]
) -> None:
    reranker = make(server.url + "/api")  # TEI mounted elsewhere than configured
    with pytest.raises(ServiceError, match=r"/api/rerank failed: HTTP 404"):
        reranker.rerank(QUERY, TEXTS)


def test_a_slow_endpoint_times_out(
    server: _RerankServer, make: Callable[..., EndpointReranker]
) -> None:
    server.mode = "slow"
    reranker = make(timeout_s=0.3, api_key=SecretStr(KEY))
    with pytest.raises(ServiceError, match=r"no answer within 0\.3 s") as caught:
        reranker.rerank(QUERY, TEXTS)
    assert KEY not in str(caught.value)


def test_a_closed_port_is_a_connection_error_without_credentials() -> None:
    port = free_port()
    with (
        EndpointReranker(
            f"http://user:{KEY}@127.0.0.1:{port}", api_key=SecretStr(KEY), timeout_s=2
        ) as reranker,
        pytest.raises(ServiceError, match="cannot connect") as caught,
    ):
        reranker.rerank(QUERY, TEXTS)
    assert f"Rerank endpoint http://127.0.0.1:{port}/rerank failed" in str(caught.value)
    assert KEY not in str(caught.value)


def test_reranking_is_off_by_default() -> None:
    settings = RerankSettings()
    assert settings.provider == "none"
    assert build_reranker(settings) is None


@pytest.mark.parametrize(
    ("base_url", "api", "url"),
    [
        ("http://tei:8080", "tei", "http://tei:8080/rerank"),
        ("http://tei:8080/", "tei", "http://tei:8080/rerank"),
        ("http://vllm:8000", "cohere", "http://vllm:8000/v1/rerank"),
        ("http://vllm:8000/v1", "cohere", "http://vllm:8000/v1/rerank"),
        ("https://api.cohere.com/v2/", "cohere", "https://api.cohere.com/v2/rerank"),
    ],
)
def test_build_reranker_from_settings(base_url: str, api: str, url: str) -> None:
    settings = RerankSettings(
        provider="endpoint", base_url=base_url, api=api, model="m", api_key=KEY, timeout_s=3
    )
    reranker = build_reranker(settings)
    assert isinstance(reranker, EndpointReranker)
    try:
        assert reranker.url == url
        assert reranker.name == f"{api}:m"
        assert reranker.timeout_s == 3
    finally:
        reranker.close()


def test_the_endpoint_provider_needs_a_base_url() -> None:
    with pytest.raises(ValidationError, match=r"rerank\.base_url is required"):
        RerankSettings(provider="endpoint")


@pytest.mark.parametrize("base_url", ["tei:8080", "ftp://tei/rerank", "http://"])
def test_the_base_url_must_be_http(base_url: str) -> None:
    with pytest.raises(ValidationError, match=r"must be an http\(s\) URL with a host"):
        RerankSettings(provider="endpoint", base_url=base_url)


def test_settings_reject_unknown_keys_and_hide_the_key() -> None:
    with pytest.raises(ValidationError, match="top_n"):
        RerankSettings(top_n=5)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="candidates"):
        RerankSettings(candidates=0)
    settings = RerankSettings(provider="endpoint", base_url="http://tei:8080", api_key=KEY)
    assert KEY not in repr(settings)


def test_retrieval_follows_the_reranker_and_keeps_its_order_when_it_fails(
    indexed_examples: Settings,
    server: _RerankServer,
    make: Callable[..., EndpointReranker],
) -> None:
    question = "Hur lång är handläggningstiden för parkeringstillstånd?"
    store = EdgeStore.open(indexed_examples)
    try:
        embedder = LocalE5Embedding(model_name="e5")
        options = indexed_examples.retrieval
        fused = Retriever(store, embedder, options).retrieve(question, [])
        reranked = Retriever(store, embedder, options, reranker=make()).retrieve(question, [])
        assert len(server.requests) == 1
        sent = server.requests[0]["body"]["texts"]
        assert len(sent) == min(options.rerank.candidates, 2 * options.top_k)
        best = max(_overlap(question, p.text) for p in reranked.passages)
        assert _overlap(question, reranked.passages[0].text) == best
        assert [p.chunk_id for p in reranked.passages] != [p.chunk_id for p in fused.passages]

        server.mode = "slow"
        slow = make(timeout_s=0.3)
        kept = Retriever(store, embedder, options, reranker=slow).retrieve(question, [])
        assert [p.chunk_id for p in kept.passages] == [p.chunk_id for p in fused.passages]
    finally:
        store.close()
