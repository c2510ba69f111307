"""Limits per caller and per request: a sliding window of calls per user (429 with
Retry-After beyond it) and a largest request body (413)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WINDOW_S = 60.0


class RateLimiter:
    """At most ``per_minute`` calls per key in any 60 seconds (per process)."""

    def __init__(self, per_minute: int) -> None:
        self._most = per_minute
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, key: str, now: float | None = None) -> int:
        """0 and the call counted, or the whole seconds until the next call is allowed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - WINDOW_S:
                calls.popleft()
            if len(calls) >= self._most:
                return max(1, math.ceil(calls[0] + WINDOW_S - now))
            calls.append(now)
            return 0


class BodyLimit:
    """ASGI middleware: a request body over ``most`` bytes gets 413, whether it says its
    length or not. The body is read here (at most ``most`` bytes are held) and handed on."""

    def __init__(self, app: ASGIApp, most: int) -> None:
        self._app = app
        self._most = most

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._most:
            await self._refuse(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            body += message.get("body", b"")
            if len(body) > self._most:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        pending: list[Message] = [{"type": "http.request", "body": bytes(body), "more_body": False}]

        async def replayed() -> Message:
            return pending.pop() if pending else await receive()

        await self._app(scope, replayed, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"detail": f"the request is larger than {self._most} bytes"}, 413)
        await response(scope, receive, send)
