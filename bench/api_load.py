"""Load benchmark through the API: 1, 4 and 16 people asking at the same moment over
HTTP, as ``assistant api`` serves them (its own process: uvicorn, the rate limit, the
audit trail, the local model server and its line).

Builds and indexes the examples in a temporary folder, starts ``python -m cli.main api``
with generative answers and the packaged model, waits for ``/api/ready`` and warms the
model with a question of its own. Then per level, that many clients (threads behind a
barrier) each send two requests at the same instant, timed from it:

* ``POST /api/search``, answered when the passages are found: the sources. The Chat
  Completions stream names its sources only in its last chunk, so a client that shows
  them first asks for them beside the answer, as here, under the same load.
* a streamed ``POST /v1/chat/completions``, until the first chunk with content. The API
  sends the checked answer as one delta (api/server.py), so this is when the answer is
  ready, not the model's first word.

Printed per level: p50 and p95 of both and their ratio to the one-user level; answers
that came extractive without a refusal (the ``mode`` of the last chunk), beside how many
the line must turn away: ``model.slots`` write and ``model.queue_limit`` wait, the rest
get the quote at once. The count may be higher, and the stream does not tell which is
which: the answer check also puts the quote in place of a model's answer it cannot bear
out, or the model failed. Then the HTTP statuses, 429s apart from the errors (which must
be 0), and the wall time. Every client is the one local user, so the per-user rate limit
is lifted for the run: it would count 16 people as one. Usage::

    python -m bench.api_load [--model qwen2.5-1.5b] [--levels 1,4,16]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from assistant.models.factory import build_embedding
from assistant.settings import Settings, load_settings
from assistant.store import open_store
from bench.answer import QUESTIONS
from examples.build import build_examples
from ingest.sync import IngestJob

REPO = Path(__file__).resolve().parents[1]
WARM_UP = "Vad gäller för tjänsteresor utomlands?"  # not among the measured questions
STARTUP_S = 600.0  # the model is joined from its parts and loaded before the API listens
TIMEOUT = httpx.Timeout(900.0, connect=10.0)  # the last of 16 waits for 15 answers


@dataclass
class Level:
    """What the clients of one level saw."""

    sources_s: list[float] = field(default_factory=list)
    answer_s: list[float] = field(default_factory=list)
    extractive: int = 0
    wall_s: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, said: str) -> None:
        with self.lock:
            self.errors.append(said)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _search(client: httpx.Client, question: str, start: threading.Barrier, seen: Level) -> None:
    start.wait()
    t0 = time.perf_counter()
    try:
        response = client.post("/api/search", json={"question": question})
    except httpx.HTTPError as exc:
        seen.error(f"search: {type(exc).__name__}: {exc}")
        return
    with seen.lock:
        seen.statuses[response.status_code] += 1
        if response.status_code == 200:
            seen.sources_s.append(time.perf_counter() - t0)


def _chat(client: httpx.Client, question: str, start: threading.Barrier, seen: Level) -> None:
    body = {"messages": [{"role": "user", "content": question}], "stream": True}
    start.wait()
    t0 = time.perf_counter()
    first: float | None = None
    last: dict[str, Any] = {}
    try:
        with client.stream("POST", "/v1/chat/completions", json=body) as response:
            with seen.lock:
                seen.statuses[response.status_code] += 1
            if response.status_code != 200:
                return
            for line in response.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line.removeprefix("data: "))
                if "error" in chunk:
                    seen.error(f"chat: {chunk['error']['message']}")
                    return
                if first is None and chunk["choices"][0]["delta"].get("content"):
                    first = time.perf_counter() - t0
                if chunk["choices"][0]["finish_reason"] == "stop":
                    last = chunk
    except httpx.HTTPError as exc:
        seen.error(f"chat: {type(exc).__name__}: {exc}")
        return
    if first is None or not last:
        seen.error(f"chat: no answer to {question!r}")
        return
    with seen.lock:
        seen.answer_s.append(first)
        seen.extractive += last["mode"] == "extractive" and not last["refused"]


def level(url: str, users: int, offset: int) -> Level:
    """``users`` clients, each searching and asking one question at the same instant."""
    seen = Level()
    start = threading.Barrier(2 * users)
    with httpx.Client(base_url=url, timeout=TIMEOUT, limits=httpx.Limits()) as client:
        threads = []
        for i in range(users):
            question = QUESTIONS[(offset + i) % len(QUESTIONS)]
            threads += [
                threading.Thread(target=_search, args=(client, question, start, seen)),
                threading.Thread(target=_chat, args=(client, question, start, seen)),
            ]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seen.wall_s = time.perf_counter() - t0
    return seen


def _index(settings: Settings, folder: Path) -> None:
    store = open_store(settings)
    embedder = build_embedding(settings.embedding)
    try:
        report = IngestJob(settings, store, embedder).run([folder])
    finally:
        store.close()
        embedder.close()
    if report.failed:
        raise SystemExit(report.summary())
    print(report.summary().splitlines()[1])  # what was indexed


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            if httpx.get(f"{url}/api/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the API did not get ready:\n{log.read_text(errors='replace')}")
        time.sleep(0.5)


def _report(users: int, seen: Level, baseline: Level | None, settings: Settings) -> None:
    sources, answers = seen.sources_s, seen.answer_s
    through = settings.model.slots + settings.model.queue_limit
    ratio = ""
    if baseline is not None and baseline.answer_s and answers and baseline.sources_s:
        ratio = (
            f" (x{_p(sources, 0.5) / _p(baseline.sources_s, 0.5):.1f} and "
            f"x{_p(answers, 0.5) / _p(baseline.answer_s, 0.5):.1f} the one-user p50)"
        )
    statuses = ", ".join(f"{code} x{n}" for code, n in sorted(seen.statuses.items()) if code != 429)
    print(
        f"{users} users: sources p50 {_p(sources, 0.5):.2f} s p95 {_p(sources, 0.95):.2f} s; "
        f"answer p50 {_p(answers, 0.5):.1f} s p95 {_p(answers, 0.95):.1f} s{ratio}; "
        f"extractive {seen.extractive} (the line turns {max(0, users - through)} away); "
        f"HTTP {statuses}; 429 x{seen.statuses[429]}; "
        f"errors {len(seen.errors)}; all done in {seen.wall_s:.1f} s"
    )
    for error in seen.errors:
        print(f"  error: {error}")


def main(model: str, levels: list[int], root: Path) -> None:
    overrides: dict[str, dict[str, Any]] = {
        "answer": {"mode": "generative"},
        "model": {"local_model": model, "local_port": _free_port()},
        "api": {"requests_per_minute": 1_000_000},
    }
    settings = load_settings(data_dir=root / "data", **overrides)
    build_examples(root / "examples")
    _index(settings, root / "examples")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        **{
            f"ASSISTANT_{section.upper()}__{name.upper()}": str(value)
            for section, fields in overrides.items()
            for name, value in fields.items()
        },
    }
    command = [sys.executable, "-m", "cli.main", "api", "--data-dir", str(settings.data_dir),
               "--port", str(port)]  # fmt: skip
    log = root / "api.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
        try:
            _wait_ready(url, process, log)
            print(
                f"model {model}; {settings.model.slots} slot(s), line of at most "
                f"{settings.model.queue_limit}; {settings.model.local_threads} threads; "
                f"rate limit {settings.api.requests_per_minute}/min"
            )
            # Warm the model with a question of its own: the server reuses the longest prompt
            # prefix it has just seen, so asking a measured question first would flatter it.
            t0 = time.perf_counter()
            warm = httpx.post(
                f"{url}/v1/chat/completions",
                json={"messages": [{"role": "user", "content": WARM_UP}]},
                timeout=TIMEOUT,
            )
            warm.raise_for_status()
            said = warm.json()
            print(
                f"warm-up answer in {time.perf_counter() - t0:.1f} s ({said['mode']}"
                f"{', refused' if said['refused'] else ''})"
            )
            baseline: Level | None = None
            asked = 0
            for users in levels:
                seen = level(url, users, asked)
                _report(users, seen, baseline, settings)
                baseline = baseline or (seen if users == 1 else None)
                asked += users
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-1.5b", choices=["qwen2.5-1.5b", "qwen2.5-0.5b"])
    parser.add_argument("--levels", default="1,4,16")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        main(args.model, [int(x) for x in args.levels.split(",")], Path(tmp))
