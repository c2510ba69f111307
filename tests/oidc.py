"""The OpenID Connect provider the sign-in and API tests use, on loopback as its own process
(``oidc_provider_mock``), and ID tokens from it by its authorization-code flow."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx
import pytest
from fixtures_llm import free_port

STARTUP_S = 120
CLIENT_ID = "dokumentassistent"

Users = Mapping[str, tuple[str, Sequence[str]]]  # sub -> (name, the provider's groups)


def wait_until_answers(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until ``url`` answers 200; the test fails with the log if the process ends first."""
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_provider(folder: Path, users: Users, *options: str) -> Iterator[str]:
    """The provider on a free loopback port with ``users`` (its base URL), stopped after."""
    port = free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1",
               "--port", str(port), *options]  # fmt: skip
    for sub, (name, groups) in users.items():
        claims = {"sub": sub, "name": name, "groups": list(groups)}
        command += ["--user-claims", json.dumps(claims)]
    log = folder / "provider.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_answers(f"{url}/.well-known/openid-configuration", process, log)
            yield url
        finally:
            stop(process)


def id_token(provider: str, sub: str, client_secret: str, client_id: str = CLIENT_ID) -> str:
    """An ID token for ``client_id`` from the provider, by its authorization-code flow
    (the user picked on its form)."""
    redirect = "http://127.0.0.1/callback"
    query = urllib.parse.urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": "openid profile",
            "nonce": "n-1",
        }
    )
    with httpx.Client(base_url=provider, timeout=10) as http:
        chosen = http.post(f"/oauth2/authorize?{query}", data={"sub": sub})
        assert chosen.status_code == 302, chosen.text
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(chosen.headers["location"]).query)
        issued = http.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code["code"][0],
                "redirect_uri": redirect,
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        assert issued.status_code == 200, issued.text
        return str(issued.json()["id_token"])
