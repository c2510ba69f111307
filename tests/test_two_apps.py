"""Two app processes sharing one audit trail and one model server: the part of the
deployment in ``deploy/`` that runs on this machine (no Docker here).

A real PostgreSQL (a database of its own on the tests' server), one llama.cpp server with
the packaged 0.5B model (``local_llm``), and two ``assistant ui`` processes on loopback,
each told to use that server as an OpenAI-compatible endpoint, the way the replicas in
``deploy/compose.yaml`` use the model service. Each app answers one question in headless
Chromium; both answers land in the shared database with the shared endpoint, and app 2's
Granskning page lists and opens the question asked in app 1.

Each app has its own copy of the indexed example documents: the embedded store has one
owner per process (docs/operations/ingest.md). In production the
replicas share a Qdrant server instead, which the store contract suite covers.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from chromium import Launch, wait_until_healthy
from fixtures_llm import LocalLLM, free_port
from playwright.sync_api import Page, expect
from sqlalchemy.engine import make_url

from assistant.settings import AuditSettings, Settings
from assistant.trail import AuditTrail, open_database

ANSWER_MS = 150_000  # the first question loads the embedding model, then the model writes
QUESTIONS = ("När ska sommarsemester sökas?", "Hur stort är friskvårdsbidraget?")
ANSWERED = re.compile(r"Skrivet av|Citerat ur dokumenten")


@pytest.fixture(scope="module")
def shared_db(postgres_url: str) -> Iterator[str]:
    """A database of its own on the tests' PostgreSQL (test_trail empties its tables)."""
    name = f"two_apps_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextmanager
def _app(root: Path, data: Path, db_url: str, model: LocalLLM) -> Iterator[str]:
    """``assistant ui`` on a free loopback port with its own data folder; its URL."""
    root.mkdir()
    shutil.copytree(data, root / "data")  # the fixture's store is closed
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")} | {
        "ASSISTANT_DATA_DIR": str(root / "data"),
        "ASSISTANT_DB__URL": db_url,
        "ASSISTANT_ANSWER__MODE": "generative",
        "ASSISTANT_MODEL__PROVIDER": "openai",
        "ASSISTANT_MODEL__BASE_URL": model.base_url,
        "ASSISTANT_MODEL__API_KEY": model.api_key,
        "ASSISTANT_MODEL__MODEL": "local",
        "ASSISTANT_MODEL__TEMPERATURE": "0",
        # A short prompt and answer: this is about where answers come from and go to.
        "ASSISTANT_RETRIEVAL__CONTEXT_TOKENS": "500",
        "ASSISTANT_MODEL__MAX_ANSWER_TOKENS": "100",
        "HF_HUB_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
    }
    command = [sys.executable, "-m", "cli.main", "ui",
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    log_path = root / "app.log"
    with log_path.open("wb") as log:
        app = subprocess.Popen(
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_healthy(app, port, log_path)
            yield f"http://127.0.0.1:{port}/"
        finally:
            app.send_signal(signal.SIGTERM)  # `assistant ui` stops its Streamlit with it
            try:
                app.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, signal.SIGKILL)  # the group of the process started here
                app.wait()


@pytest.fixture(scope="module")
def two_apps(
    indexed_examples: Settings,
    shared_db: str,
    local_llm: LocalLLM,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("two-apps")
    with ExitStack() as stack:
        # One after the other, as compose starts app-2 once app-1 is healthy: the first
        # brings the shared database's schema up to date.
        first = stack.enter_context(
            _app(root / "app-1", indexed_examples.data_dir, shared_db, local_llm)
        )
        second = stack.enter_context(
            _app(root / "app-2", indexed_examples.data_dir, shared_db, local_llm)
        )
        yield first, second


def _ask(page: Page, url: str, question: str) -> None:
    page.goto(url)
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_editable(timeout=ANSWER_MS)
    box.fill(question)
    box.press("Enter")


def _answered_by(page: Page) -> str:
    """The caption under the answer that says who wrote it."""
    caption = page.get_by_test_id("stChatMessage").get_by_text(ANSWERED)
    expect(caption).to_be_visible(timeout=ANSWER_MS)
    return caption.inner_text()


def test_two_apps_share_one_trail_and_one_model_server(
    two_apps: tuple[str, str], shared_db: str, local_llm: LocalLLM, chromium: Launch
) -> None:
    endpoint = local_llm.base_url
    browser = chromium()
    pages = [
        browser.new_context(viewport={"width": 1280, "height": 1400}).new_page() for _ in two_apps
    ]
    # Asked at once: the model server answers one after the other.
    for page, url, question in zip(pages, two_apps, QUESTIONS, strict=True):
        _ask(page, url, question)
    for page in pages:
        said = _answered_by(page)
        assert said.startswith("Skrivet av openai:local"), said
        assert endpoint in said

    # Both answers are in the one database, written by the one model server.
    trail = AuditTrail(open_database(shared_db), AuditSettings())
    try:
        records = trail.records()
    finally:
        trail.db.close()
    assert sorted(r.question or "" for r in records) == sorted(QUESTIONS)
    for r in records:
        assert (r.kind, r.mode, r.refused) == ("answer", "generative", False)
        assert (r.model, r.endpoint) == ("openai:local", endpoint)
        assert r.citations

    # App 2's Granskning page (the local user is an admin) opens app 1's question.
    page = pages[1]
    page.get_by_role("link", name="Granskning").click()
    expect(page.get_by_role("heading", name="Granskning")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("2 poster, nyaste först.")).to_be_visible()
    page.get_by_test_id("stSelectbox").filter(has_text="Öppna en post").click()
    page.get_by_role("option", name=re.compile(QUESTIONS[0])).click()
    opened = page.get_by_test_id("stVerticalBlock").filter(has_text=f"slutpunkt: {endpoint}")
    expect(opened.last).to_contain_text(QUESTIONS[0], timeout=30_000)
    expect(opened.last).to_contain_text("semester")
