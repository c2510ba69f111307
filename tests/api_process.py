"""``assistant api`` as a real process over a copy of an indexed data folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import anyio
import httpx
from fixtures_llm import free_port
from oidc import stop, wait_until_answers

from assistant.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def start_api(
    root: Path, indexed: Settings, extra_env: Mapping[str, str], secret: str = ""
) -> Iterator[str]:
    """The API's base URL while it runs, extractive unless ``extra_env`` says otherwise;
    after it stops, its log is checked not to hold ``secret``."""
    data_dir = root / "data"
    shutil.copytree(indexed.data_dir, data_dir)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")},
        "ASSISTANT_ANSWER__MODE": "extractive",
        "HF_HUB_OFFLINE": "1",
        **extra_env,
    }
    command = [sys.executable, "-m", "cli.main", "api", "--data-dir", str(data_dir),
               "--port", str(port)]  # fmt: skip
    log = root / "api.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
        try:
            wait_until_answers(f"http://127.0.0.1:{port}/api/health", process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)
    if secret:
        assert secret not in log.read_text(errors="replace"), "secrets never in the log"


def mcp_calls(
    url: str, calls: list[tuple[str, dict[str, object]]], token: str | None = None
) -> Any:
    """The tool names, and the structured result of each call, from an MCP client
    session (the SDK's own client over streamable HTTP)."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def session() -> tuple[list[str], list[Any]]:
        async with (
            httpx.AsyncClient(headers=headers, timeout=120) as http,
            streamable_http_client(f"{url}/mcp/", http_client=http) as (read, write, _),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            names = [t.name for t in (await client.list_tools()).tools]
            results = []
            for name, arguments in calls:
                result = await client.call_tool(name, arguments)
                assert not result.isError, result.content
                results.append(result.structuredContent)
            return names, results

    return anyio.run(session)
