"""Chat models behind one small interface, built from settings in one factory.

Every provider speaks the OpenAI chat protocol: the local llama.cpp server, OpenAI,
vLLM, Ollama, LM Studio (provider "openai" with their base URL) and Azure OpenAI.
Nothing here touches llama-index's global ``Settings``.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any, Protocol

import openai

from assistant.errors import ModelError
from assistant.models.endpoints import keep_url_secrets_out_of_logs, redact_urls, short


class ChatModel(Protocol):
    """What the answer step needs from a chat model."""

    name: str  # what answered, e.g. "local:qwen2.5-1.5b", "openai:gpt-4o-mini"
    endpoint: str  # where, for display; never holds secrets

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> Generator[str, None, None]:
        """Yield the answer's text as it arrives; ModelError on any failure.

        Close the generator when leaving early: that ends the request, and the local
        server (one request at a time) can serve the next one.
        """
        ...

    def complete(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> str:
        """The whole answer; ModelError on any failure."""
        ...

    def close(self) -> None: ...


class OpenAIChatModel:
    """A chat model behind an OpenAI-protocol endpoint, streamed, with hard time limits.

    The HTTP read timeout (``first_token_timeout_s``) bounds the wait for the first bytes
    and every gap between chunks, so a server that accepts the connection and goes silent
    cannot hang us; ``timeout_s`` bounds the whole answer.
    """

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        model: str,
        name: str,
        endpoint: str,
        first_token_timeout_s: float,
        timeout_s: float,
    ) -> None:
        self._client = client
        self.model = model
        self.name = name
        self.endpoint = endpoint
        self.first_token_timeout_s = first_token_timeout_s
        self.timeout_s = timeout_s
        keep_url_secrets_out_of_logs()

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> Generator[str, None, None]:
        started = time.monotonic()
        got_text = False
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=_as_params(messages),
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
            )
            with response:
                for chunk in response:
                    elapsed = time.monotonic() - started
                    if not got_text and elapsed > self.first_token_timeout_s:
                        raise self._error(f"no answer within {self.first_token_timeout_s:g} s")
                    if elapsed > self.timeout_s:
                        raise self._error(f"answer not finished within {self.timeout_s:g} s")
                    text = chunk.choices[0].delta.content if chunk.choices else None
                    if text:
                        got_text = True
                        yield text
        except openai.APITimeoutError as exc:
            raise self._error(f"no answer within {self.first_token_timeout_s:g} s") from exc
        except openai.APIConnectionError as exc:
            raise self._error(f"cannot connect ({exc.__cause__ or exc})") from exc
        except openai.APIStatusError as exc:
            raise self._error(f"HTTP {exc.status_code}: {short(exc.message)}") from exc
        except (openai.OpenAIError, ValueError, AttributeError, TypeError, IndexError) as exc:
            raise self._error(f"bad response ({type(exc).__name__}: {short(str(exc))})") from exc
        if not got_text:
            raise self._error("the answer was empty")

    def complete(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature))

    def close(self) -> None:
        self._client.close()

    def _error(self, what: str) -> ModelError:
        return ModelError(f"Model endpoint {self.endpoint} failed: {redact_urls(what)}")


def _as_params(messages: list[dict[str, str]]) -> Any:
    """Our plain role/content dicts are what the SDK's typed message params describe."""
    return [{"role": m["role"], "content": m["content"]} for m in messages]
