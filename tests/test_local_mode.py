"""Local mode (no sign-in) serves this machine's user only, also against DNS rebinding: a
web page whose name is made to resolve to 127.0.0.1 reaches the port but is refused,
because the Host it names is not a loopback name. Outside local mode no error detail
(message, traceback, server path) reaches a user.

Real processes: ``assistant ui`` and ``streamlit run ui/app.py`` on free loopback ports,
spoken to with raw WebSocket handshakes and, for the app's own check, Debian's headless
Chromium told to resolve a foreign name to 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chromium import Launch, wait_until_healthy
from fixtures_llm import free_port
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from assistant.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
REBOUND = "rebind.example"  # a foreign name an attacker's DNS answers with 127.0.0.1
REFUSED = "nås bara som localhost eller 127.0.0.1"


def _env(data_dir: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "STREAMLIT_"))}
    return clean | {
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_ANSWER__MODE": "extractive",
        "HF_HUB_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
    }


@contextmanager
def _serving(command: list[str], root: Path, port: int) -> Iterator[int]:
    """The process started by ``command``, once Streamlit answers on ``port``."""
    log_path = root / f"app-{port}.log"
    with log_path.open("wb") as log:
        app = subprocess.Popen(
            command, cwd=REPO, env=_env(root / "data"), stdin=subprocess.DEVNULL,
            stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_healthy(app, port, log_path)
            yield port
        finally:
            app.terminate()  # `assistant ui` stops its Streamlit with it
            try:
                app.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, 9)  # the group of the process started here
                app.wait()


def _handshake(port: int, host: str) -> str:
    """The status line the app answers a browser's WebSocket handshake with, when the
    page's address names ``host``."""
    request = (
        "GET /_stcore/stream HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Origin: http://{host}:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: streamlit\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_assistant_ui_without_sign_in_accepts_only_loopback_names(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "cli.main", "ui",
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with _serving(command, tmp_path, port):
        for host in ("127.0.0.1", "localhost"):
            assert " 101 " in _handshake(port, host), host
        for host in (REBOUND, "192.0.2.10"):
            status = _handshake(port, host)
            assert " 101 " not in status, f"{host}: {status}"


def test_streamlit_options_of_each_mode() -> None:
    from cli.main import streamlit_guards

    local = streamlit_guards(load_settings(), "127.0.0.1")
    hosts = [local[i + 1] for i, flag in enumerate(local) if flag == "--server.allowedHosts"]
    assert set(hosts) == {"localhost", "127.0.0.1", "::1"}
    assert "--client.showErrorDetails" not in local, "the one local user sees the details"
    signed = streamlit_guards(
        load_settings(
            auth={"metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
                  "client_id": "a", "client_secret": "b", "cookie_secret": "c" * 32}
        ),
        "0.0.0.0",
    )  # fmt: skip
    assert signed[signed.index("--client.showErrorDetails") + 1] == "none"
    assert "--server.allowedHosts" not in signed, "behind a proxy, under the site's own name"


def _failing_page() -> None:
    """Run as a script by AppTest: an error nobody caught, naming a server path."""
    raise RuntimeError("cannot open /srv/dokument/hr/lonetabell.xlsx")


def test_no_error_detail_reaches_a_user_with_the_sign_in_option() -> None:
    previous = st_config.get_option("client.showErrorDetails")
    st_config.set_option("client.showErrorDetails", "none")  # as `assistant ui` sets it
    try:
        app = AppTest.from_function(_failing_page).run()
    finally:
        st_config.set_option("client.showErrorDetails", previous)
    [error] = app.exception
    assert "/srv/dokument" not in error.message
    assert not error.stack_trace
    assert "RuntimeError" not in str(error.proto)


def test_the_app_itself_refuses_a_foreign_host_name(tmp_path: Path, chromium: Launch) -> None:
    """``streamlit run ui/app.py`` (no ``assistant ui``, so no Streamlit host list): the
    app checks the name the browser asked for before it shows anything."""
    from playwright.sync_api import expect

    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "app.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with _serving(command, tmp_path, port):
        browser = chromium(f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1, EXCLUDE localhost")
        page = browser.new_page()
        page.goto(f"http://{REBOUND}:{port}/")
        expect(page.get_by_text(REFUSED)).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stChatInput")).to_have_count(0)
        page.goto(f"http://127.0.0.1:{port}/")
        expect(page.get_by_test_id("stChatInput")).to_be_visible(timeout=60_000)
        expect(page.get_by_text(REFUSED)).to_have_count(0)


def test_the_app_check_reads_the_host_name() -> None:
    from ui.auth import served_locally

    for host in ("127.0.0.1:8501", "localhost:8501", "LOCALHOST", "[::1]:8501", "127.0.0.2"):
        assert served_locally(host), host
    assert served_locally(None), "no Host: no browser asked (AppTest runs the script)"
    for host in (f"{REBOUND}:8501", "192.0.2.10", "localhost.rebind.example", "[::]:1", ""):
        assert not served_locally(host), host
    for host in ("127.0.0.1:x", "user@127.0.0.1", "127.0.0.1/x"):
        assert not served_locally(host), host
