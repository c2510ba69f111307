"""Chat models: the real local server through our client, the OpenAI and Azure wiring of
the real SDK against loopback servers, and clear errors for endpoints that fail."""

from __future__ import annotations

import http.server
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

import pytest
from fakes import ScriptedChatModel
from fixtures_llm import LocalLLM, free_port

from assistant.errors import ModelError
from assistant.models.chat import ChatModel
from assistant.models.factory import build_chat_model
from assistant.settings import ModelSettings

PASSAGE = (
    "Norrbacka kommun, riktlinje för bostadsanpassning. Ansökan om bostadsanpassningsbidrag "
    "lämnas till kommunens bostadsanpassningshandläggare. Handläggningstiden är normalt sex "
    "veckor. Bidraget gäller fasta funktioner i bostaden, till exempel ramper, breddade dörrar "
    "och borttagna trösklar."
)
MESSAGES = [
    {"role": "system", "content": "Du är kommunens assistent. Svara kort på svenska."},
    {"role": "user", "content": f"Text: {PASSAGE}\n\nFråga: Hur lång är handläggningstiden?"},
]
SWEDISH = re.compile(r"[åäö]|\b(och|är|att|för|som|den|det|veckor)\b", re.IGNORECASE)


def test_the_local_server_streams_a_swedish_answer(local_llm: LocalLLM) -> None:
    chat = local_llm.chat_model()
    try:
        deltas = list(chat.stream(MESSAGES, max_tokens=40, temperature=0.0))
    finally:
        chat.close()
    answer = "".join(deltas)
    assert len(deltas) >= 3
    assert SWEDISH.search(answer), answer
    assert "vecko" in answer.lower(), answer
    assert chat.name == "local:qwen2.5-0.5b"
    assert chat.endpoint == local_llm.base_url


def test_complete_joins_the_stream(local_llm: LocalLLM) -> None:
    chat = local_llm.chat_model()
    try:
        answer = chat.complete(MESSAGES, max_tokens=40, temperature=0.0)
    finally:
        chat.close()
    assert "vecko" in answer.lower(), answer


def test_provider_openai_reaches_any_openai_compatible_server(local_llm: LocalLLM) -> None:
    # vLLM, Ollama, LM Studio and llama.cpp are reached this way: same protocol.
    settings = ModelSettings(
        provider="openai", base_url=local_llm.base_url, model="local", api_key=local_llm.api_key
    )
    chat = build_chat_model(settings)
    try:
        answer = chat.complete(MESSAGES, max_tokens=20, temperature=0.0)
    finally:
        chat.close()
    assert answer.strip()
    assert chat.name == "openai:local"


def test_a_stream_left_early_frees_the_server(local_llm: LocalLLM) -> None:
    chat = local_llm.chat_model()
    try:
        stream = chat.stream(MESSAGES, max_tokens=200, temperature=0.0)
        assert next(stream)
        stream.close()  # e.g. the user left the page
        assert chat.complete(MESSAGES, max_tokens=5, temperature=0.0)
    finally:
        chat.close()


def _closed_port() -> int:
    return free_port()  # bound, then released: nothing listens there


def test_an_endpoint_that_is_down_fails_fast_and_names_its_url() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    chat = build_chat_model(ModelSettings(provider="openai", base_url=url, api_key="sk-secret"))
    try:
        with pytest.raises(ModelError, match="cannot connect") as caught:
            chat.complete(MESSAGES, max_tokens=5, temperature=0.0)
    finally:
        chat.close()
    assert url in str(caught.value)
    assert "sk-secret" not in str(caught.value)


@contextmanager
def _silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """Accepts connections and never says a word; yields its port and what it accepted."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


def test_a_server_that_never_answers_times_out_at_the_first_token_limit() -> None:
    with _silent_server() as (port, accepted):
        url = f"http://127.0.0.1:{port}/v1"
        settings = ModelSettings(provider="openai", base_url=url, first_token_timeout_s=2)
        chat = build_chat_model(settings)
        try:
            with pytest.raises(ModelError, match="no answer within 2 s") as caught:
                chat.complete(MESSAGES, max_tokens=5, temperature=0.0)
        finally:
            chat.close()
        tries = len(accepted)
    assert tries == 1  # one budget, no retries: the caller answers extractively instead
    assert url in str(caught.value)


def _sse(*texts: str) -> bytes:
    events = [
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
        }
        for text in texts
    ]
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return body.encode()


class _AzureLike(http.server.BaseHTTPRequestHandler):
    """Records each request; answers like Azure OpenAI (SSE), or 401 for a wrong key."""

    requests: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.headers.get("api-key") != "az-key":
            payload = json.dumps({"error": {"code": "401", "message": "Access denied"}}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        deployment = self.path.split("/")[3]
        if deployment == "plain-json":  # a proxy that ignores "stream": a bad response
            payload = json.dumps({"choices": [{"message": {"content": "Hej"}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        words = ("Handläggningstiden", " är", " sex", " veckor.")
        for word in words:
            self.wfile.write(_sse(word).removesuffix(b"data: [DONE]\n\n"))
            self.wfile.flush()
            if deployment == "slow-drip":
                time.sleep(0.6)
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _azure_like() -> Iterator[str]:
    _AzureLike.requests.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AzureLike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _azure(url: str, key: str, deployment: str = "gpt4o-kommun", **more: float) -> ChatModel:
    return build_chat_model(
        ModelSettings(
            provider="azure",
            base_url=url,
            model=deployment,
            api_key=key,
            api_version="2024-10-21",
            **more,
        )
    )


def test_azure_calls_the_deployment_with_the_api_version_and_key() -> None:
    with _azure_like() as url:
        chat = _azure(url, "az-key")
        try:
            deltas = list(chat.stream(MESSAGES, max_tokens=50, temperature=0.1))
        finally:
            chat.close()
    assert deltas == ["Handläggningstiden", " är", " sex", " veckor."]
    [request] = _AzureLike.requests
    assert request["path"] == (
        "/openai/deployments/gpt4o-kommun/chat/completions?api-version=2024-10-21"
    )
    headers = {k.lower(): v for k, v in request["headers"].items()}  # type: ignore[attr-defined]
    assert headers["api-key"] == "az-key"
    assert "authorization" not in headers
    assert request["body"]["stream"] is True  # type: ignore[index]
    assert request["body"]["messages"] == MESSAGES  # type: ignore[index]
    assert chat.name == "azure:gpt4o-kommun"
    assert chat.endpoint == f"{url}/openai/deployments/gpt4o-kommun"


def test_an_http_error_is_a_model_error_without_the_key() -> None:
    with _azure_like() as url:
        chat = _azure(url, "wrong-key")
        try:
            with pytest.raises(ModelError, match="HTTP 401") as caught:
                chat.complete(MESSAGES, max_tokens=5, temperature=0.0)
        finally:
            chat.close()
    assert f"{url}/openai/deployments/gpt4o-kommun" in str(caught.value)
    assert "wrong-key" not in str(caught.value)


def test_a_response_that_is_not_a_stream_is_a_model_error() -> None:
    with _azure_like() as url:
        chat = _azure(url, "az-key", "plain-json")
        try:
            with pytest.raises(ModelError, match="the answer was empty"):
                chat.complete(MESSAGES, max_tokens=5, temperature=0.0)
        finally:
            chat.close()


def test_an_answer_slower_than_the_total_limit_is_cut() -> None:
    with _azure_like() as url:
        chat = _azure(url, "az-key", "slow-drip", timeout_s=1.0)
        received: list[str] = []
        try:
            with pytest.raises(ModelError, match="not finished within 1 s"):
                received.extend(chat.stream(MESSAGES, max_tokens=50, temperature=0.0))
        finally:
            chat.close()
    assert received == ["Handläggningstiden", " är"]


def test_credentials_in_the_url_are_not_displayed() -> None:
    settings = ModelSettings(provider="openai", base_url="http://user:pw@127.0.0.1:9/v1?key=k")
    chat = build_chat_model(settings)
    chat.close()
    assert chat.endpoint == "http://127.0.0.1:9/v1"


def test_the_scripted_fake_records_and_streams_word_by_word() -> None:
    fake: ChatModel = ScriptedChatModel(["Sex veckor, enligt riktlinjen.", ModelError("nere")])
    assert list(fake.stream(MESSAGES, max_tokens=9, temperature=0)) == [
        "Sex",
        " veckor,",
        " enligt",
        " riktlinjen.",
    ]
    with pytest.raises(ModelError, match="nere"):
        fake.complete(MESSAGES, max_tokens=9, temperature=0)
    assert isinstance(fake, ScriptedChatModel)
    assert fake.calls == [MESSAGES, MESSAGES]
