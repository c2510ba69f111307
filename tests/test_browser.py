"""The app in a real browser: ``streamlit run ui/app.py`` as its own process over an indexed
copy of the example documents, driven by Playwright in Debian's headless Chromium.

Answers are extractive, so no language model is needed. Chromium is started with every
background service off, so it talks to nothing but the app on the loopback interface.
Skipped only when Chromium (``/usr/bin/chromium``) or the ``playwright`` package is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from assistant.query.prompts import load_phrases
from assistant.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "ui" / "app.py"
STARTUP_TIMEOUT = 90  # seconds until Streamlit's health check answers
FIRST_ANSWER_MS = 60_000  # the first question opens the store and loads the embedding model
ANSWER_MS = 30_000
# The innermost Streamlit block around an element: for a card's anchor, the bordered card.
CARD = "xpath=ancestor::div[@data-testid='stVerticalBlock'][1]"
NO_SUPPORT = load_phrases("sv").no_support
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200 and response.read().strip() == b"ok")
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def app_url(indexed_examples: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by Streamlit on a free loopback port over a copy of the index."""
    root = tmp_path_factory.mktemp("browser")
    data_dir = root / "data"
    shutil.copytree(indexed_examples.data_dir, data_dir)  # the fixture's store is closed
    port = _free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_ANSWER__MODE": "extractive",
        "HF_HUB_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
    }
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log_path = root / "streamlit.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        try:
            health = f"http://127.0.0.1:{port}/_stcore/health"
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not _healthy(health):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"Streamlit did not start (exit code {server.poll()}):\n"
                        + log_path.read_text(errors="replace")
                    )
                time.sleep(0.25)
            yield f"http://127.0.0.1:{port}/"
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="sv-SE")
            yield context.new_page()
            context.close()
        finally:
            browser.close()


def _ask(page: Page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_editable(timeout=FIRST_ANSWER_MS)
    box.fill(question)
    box.press("Enter")


def test_ask_see_the_source_and_a_refusal(app_url: str, page: Page, tmp_path: Path) -> None:
    page.goto(app_url)
    _ask(page, "När ska sommarsemester sökas?")

    # The answer: its text with a linked citation marker, then the citation card.
    answer = page.get_by_test_id("stChatMessage").filter(has=page.locator("sup a")).last
    expect(answer).to_contain_text("31 mars", timeout=FIRST_ANSWER_MS)
    marker = answer.locator("sup a", has_text="[1]").first
    expect(marker).to_have_attribute("href", "#kalla-0-1")
    card = answer.locator("#kalla-0-1").locator(CARD)
    expect(card).to_contain_text("semester.md")

    # The marker leads to its card; the card's source viewer shows the quote marked.
    marker.click()
    expect(card).to_be_in_viewport()
    card.get_by_text("Visa källan").click()
    mark = card.locator("mark").first
    expect(mark).to_be_visible(timeout=ANSWER_MS)
    expect(mark).to_contain_text("31 mars")
    expect(mark).to_be_in_viewport(ratio=1)  # the expander has opened (not clipped)

    shot = tmp_path / "answer.png"
    page.screenshot(path=str(shot), full_page=True, animations="disabled")
    assert shot.stat().st_size > 1000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # A question the documents do not answer is refused, not guessed.
    _ask(page, "Vad kostar ett busskort för pensionärer?")
    expect(page.get_by_text(NO_SUPPORT)).to_be_visible(timeout=ANSWER_MS)
