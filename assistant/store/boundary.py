"""Where the Qdrant engines' own errors become the project's ``StoreError``.

Both back ends run every operation after opening inside an ``ErrorBoundary``, so a
server that stops mid-question, answers 500 or times out gives the app and the CLI one
clear message (exit code 3), never a traceback.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

from assistant.errors import AssistantError, StoreError
from assistant.models.endpoints import redact_urls

_MESSAGE_CHARS = 200
_CAUSE_CHARS = 80  # kept of the cause even when the store's location is long
# Exceptions of these bare types say it all in their text; any other type is named.
_PLAIN = (Exception, RuntimeError)

Describe = Callable[[Exception], str | None]


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _plain(exc: Exception) -> str:
    text = _first_line(str(exc))
    if not text:
        return type(exc).__name__
    return text if type(exc) in _PLAIN else f"{type(exc).__name__}: {text}"


class ErrorBoundary:
    """Where a store's library errors become one short ``StoreError``.

    Everything a back end raises after opening (HTTP errors, dropped connections,
    timeouts, the engine's own exceptions) leaves the store as ``StoreError`` naming the
    store and the operation; errors the project raised on purpose pass unchanged. Secrets
    (the API key, a URL's credentials and query) are cut from the message, which keeps one
    short line of the cause.
    """

    def __init__(
        self, name: str, *, secrets: Iterable[str | None] = (), describe: Describe | None = None
    ) -> None:
        self.name = name  # "Qdrant at http://…", for messages
        self._secrets = [s for s in secrets if s]
        self._describe = describe

    def error(self, doing: str, exc: Exception) -> StoreError:
        """The ``StoreError`` for ``exc`` raised while ``doing`` (e.g. "searching")."""
        head = f"{self.name} failed while {doing}: "
        described = self._describe(exc) if self._describe else None
        cause = _first_line(self._redact(described or _plain(exc))) or type(exc).__name__
        room = max(_CAUSE_CHARS, _MESSAGE_CHARS - len(head))
        if len(cause) > room:
            cause = cause[: room - 1] + "…"
        return StoreError(self._redact(head + cause))

    def _redact(self, text: str) -> str:
        text = redact_urls(text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    @contextmanager
    def guard(self, doing: str) -> Iterator[None]:
        try:
            yield
        except AssistantError:
            raise
        except Exception as exc:
            raise self.error(doing, exc) from exc


class Guarded(Protocol):
    """A store whose methods ``guarded`` wraps."""

    @property
    def boundary(self) -> ErrorBoundary: ...


_S = TypeVar("_S", bound=Guarded)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def guarded(
    doing: str,
) -> Callable[[Callable[Concatenate[_S, _P], _R]], Callable[Concatenate[_S, _P], _R]]:
    """Run a store method inside its ``boundary``; a generator is guarded while it runs."""

    def decorate(method: Callable[Concatenate[_S, _P], _R]) -> Callable[Concatenate[_S, _P], _R]:
        if inspect.isgeneratorfunction(method):

            @functools.wraps(method)
            def iterate(self: _S, *args: _P.args, **kwargs: _P.kwargs) -> Iterator[Any]:
                with self.boundary.guard(doing):
                    yield from cast(Iterator[Any], method(self, *args, **kwargs))

            return cast(Callable[Concatenate[_S, _P], _R], iterate)

        @functools.wraps(method)
        def call(self: _S, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            with self.boundary.guard(doing):
                return method(self, *args, **kwargs)

        return call

    return decorate
