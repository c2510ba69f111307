"""Fakes of our own interfaces (never of library internals), for tests only."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable

from assistant.errors import ModelError


class ScriptedChatModel:
    """A ``ChatModel`` that answers from a script and records what it was asked.

    Each call takes the next reply; a reply that is an exception is raised instead
    (e.g. ``ModelError`` to exercise fallbacks). Replies are streamed word by word.
    """

    def __init__(
        self,
        replies: Iterable[str | Exception],
        *,
        name: str = "scripted:test",
        endpoint: str = "scripted://test",
    ) -> None:
        self.name = name
        self.endpoint = endpoint
        self._replies = list(replies)
        self.calls: list[list[dict[str, str]]] = []
        self.options: list[dict[str, float]] = []
        self.closed = False

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> Generator[str, None, None]:
        self.calls.append([dict(m) for m in messages])
        self.options.append({"max_tokens": max_tokens, "temperature": temperature})
        if not self._replies:
            raise ModelError(f"{self.name}: no scripted reply left for call {len(self.calls)}")
        reply = self._replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        yield from re.findall(r"\s*\S+|\s+", reply)

    def complete(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature))

    def close(self) -> None:
        self.closed = True
