"""Shared fixtures. Tests never reach the network: only loopback and local sockets."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from apptest import index, start  # noqa: F401  (the app over the indexed examples)
from chromium import app_url, chromium, page  # noqa: F401  (a real browser, the served app)
from fixtures_heavy import embedder, run_cli  # noqa: F401  (the e5 model, the command line)
from fixtures_llm import local_llm  # noqa: F401  (a session fixture)
from streamlit import config as st_config

from assistant.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "sv-public"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")


# What a test needs decides how it is marked: `make test-fast` leaves out the browser, the
# language model, the full corpus, the indexed examples, embedding with the real model, the
# command line as its own process and the slow runs; `make test` runs everything. A fixture
# counts however deep it is (``start`` needs ``indexed_examples``).
NEEDS = {
    "chromium": "browser",
    "page": "browser",
    "app_url": "browser",
    "local_llm": "model",
    "corpus": "corpus",
    "indexed_examples": "index",
    "embedder": "ingest",
    "run_cli": "cli",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = getattr(item, "fixturenames", ())
        for marker in sorted({NEEDS[name] for name in used if name in NEEDS}):
            item.add_marker(marker)


def _is_local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # unix socket path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if not _is_local(address):
            raise RuntimeError(f"tests must not reach the network (tried {address!r})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True, scope="session")
def _app_on_loopback() -> None:
    """AppTest serves nothing; the app sees Streamlit set to listen on 127.0.0.1, as
    ``assistant ui`` runs it without sign-in (a test may set another address)."""
    st_config.set_option("server.address", "127.0.0.1")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def indexed_examples(tmp_path_factory: pytest.TempPathFactory, example_docs: Path) -> Settings:
    """Settings whose data dir holds the example documents, indexed (store closed)."""
    from assistant.models.factory import build_embedding
    from assistant.store.edge import EdgeStore
    from ingest.sync import IngestJob

    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("indexed") / "data",
        answer={"mode": "extractive"},
    )
    store = EdgeStore.open(settings)
    try:
        report = IngestJob(settings, store, build_embedding(settings.embedding)).run([example_docs])
        assert not report.failed, report.summary()
    finally:
        store.close()
    return settings


@pytest.fixture(scope="session")
def example_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example documents, built once per test session."""
    from examples.build import build_examples

    out = tmp_path_factory.mktemp("examples")
    build_examples(out)
    return out


@pytest.fixture(scope="session")
def postgres_url() -> Any:
    """A fresh PostgreSQL database on loopback, for the tests that run on both databases."""
    from _postgres import postgres_server

    with postgres_server() as url:
        yield url
