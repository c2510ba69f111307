"""A real local chat model for the test session: the packaged 0.5B model on llama.cpp.

Import into conftest.py with ``from tests.fixtures_llm import local_llm``.

The joined model file is kept in ``$XDG_CACHE_HOME/kommun-assistant/models`` (default
``~/.cache/...``) so later sessions skip joining (and, thanks to the ``.sha256-ok``
marker, hashing) the 491 MB file. One server, on a free loopback port, serves the
whole session and is stopped at its end.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.models.chat import ChatModel
from assistant.models.factory import build_chat_model
from assistant.models.local_server import LocalModelServer
from assistant.models.packaged import PACKAGED_MODELS, ensure_model
from assistant.settings import ModelSettings


def model_cache_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "kommun-assistant" / "models"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LocalLLM:
    """The running test server and settings that point at it."""

    server: LocalModelServer
    settings: ModelSettings

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def api_key(self) -> str:
        """The key this start of the server asks of every request."""
        assert self.server.api_key is not None
        return self.server.api_key

    def chat_model(self, **overrides: Any) -> ChatModel:
        """A client for the server (close it after use); overrides go to ModelSettings."""
        settings = self.settings.model_copy(update=overrides) if overrides else self.settings
        return build_chat_model(settings, base_url=self.server.base_url, api_key=self.api_key)


@pytest.fixture(scope="session")
def local_llm() -> Iterator[LocalLLM]:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip(
            "llama-cpp-python is not installed: CMAKE_ARGS='-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF' "
            "pip install 'llama-cpp-python[server]==0.3.36'"
        )
    settings = ModelSettings(
        provider="local",
        local_model="qwen2.5-0.5b",
        local_port=free_port(),
        local_threads=2,
        context_tokens=2048,
        temperature=0.0,
        first_token_timeout_s=60,
        timeout_s=120,
    )
    models_dir = model_cache_dir()
    server = LocalModelServer(
        ensure_model(PACKAGED_MODELS[settings.local_model], models_dir),
        port=settings.local_port,
        threads=settings.local_threads,
        context_tokens=settings.context_tokens,
        log_path=models_dir / "llama-server-tests.log",
    )
    with server:
        yield LocalLLM(server=server, settings=settings)
