"""Debian's headless Chromium driven by Playwright, and the app served by Streamlit.

The fixtures ``chromium`` (launches browsers, closed after the test), ``page`` (one page in
a Swedish browser) and ``app_url`` (the app over an indexed copy of the examples, as its
own process) are registered in ``conftest.py``; a test that uses one is marked
``browser``. Chromium is started with every background service off, so it talks to
nothing but the app on the loopback interface. A missing Chromium skips the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fixtures_llm import free_port

from assistant.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
APP = REPO / "ui" / "app.py"
STARTUP_TIMEOUT = 90  # seconds until Streamlit's health check answers
FIRST_ANSWER_MS = 60_000  # the first question opens the store and loads the embedding model
ANSWER_MS = 30_000
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

if TYPE_CHECKING:  # Playwright is imported when a browser is launched
    from playwright.sync_api import Browser, Page

Launch = Callable[..., "Browser"]


def healthy(url: str) -> bool:
    """Whether Streamlit's health check at ``url`` answers ``ok``."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200 and response.read().strip() == b"ok")
    except (urllib.error.URLError, OSError):
        return False


def wait_until_healthy(server: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Wait for the app on ``port``; fail with its log if it exits or takes too long."""
    health = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not healthy(health):
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail(
                f"Streamlit did not start (exit code {server.poll()}):\n"
                + log_path.read_text(errors="replace")
            )
        time.sleep(0.25)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture
def chromium() -> Iterator[Launch]:
    """``chromium(*more_args)`` launches a headless Chromium; all are closed afterwards."""
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browsers: list[Browser] = []

        def launch(*more_args: str) -> Browser:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *more_args]
            )
            browsers.append(browser)
            return browser

        try:
            yield launch
        finally:
            for browser in browsers:
                browser.close()


@pytest.fixture
def page(chromium: Launch) -> Iterator[Page]:
    """A page in a Swedish browser window of 1280 × 1400."""
    context = chromium().new_context(viewport={"width": 1280, "height": 1400}, locale="sv-SE")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def app_url(indexed_examples: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by Streamlit on a free loopback port over a copy of the index."""
    root = tmp_path_factory.mktemp("browser")
    data_dir = root / "data"
    shutil.copytree(indexed_examples.data_dir, data_dir)  # the fixture's store is closed
    port = free_port()
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
            wait_until_healthy(server, port, log_path)
            yield f"http://127.0.0.1:{port}/"
        finally:
            stop(server)
