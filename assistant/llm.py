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

from assistant.endpoints import display_url, is_loopback, short
from assistant.errors import ConfigError, ModelError
from assistant.settings import ModelSettings


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
        return ModelError(f"Model endpoint {self.endpoint} failed: {what}")


def build_chat_model(settings: ModelSettings, *, base_url: str | None = None) -> ChatModel:
    """The chat model the settings name.

    For provider "local", ``base_url`` is the running ``LocalModelServer``'s; for the
    others it overrides ``settings.base_url`` when given.
    """
    url = base_url or settings.base_url
    if not url:
        raise ConfigError(
            "No model endpoint: the local provider needs the local server's base_url; "
            "other providers need model.base_url."
        )
    api_key = settings.api_key.get_secret_value() if settings.api_key else None
    # One budget per call, no retries: on failure the caller answers extractively.
    read_s = min(settings.first_token_timeout_s, settings.timeout_s)
    timeout = openai.Timeout(read_s, connect=min(10.0, read_s))
    # Loopback is never reached through a proxy from the environment.
    http_client = openai.DefaultHttpxClient(trust_env=False) if is_loopback(url) else None
    client: openai.OpenAI
    if settings.provider == "azure":
        if api_key is None:
            raise ConfigError("model.api_key is required when model.provider is 'azure'")
        client = openai.AzureOpenAI(
            azure_endpoint=url,
            azure_deployment=settings.model,
            api_version=settings.api_version,
            api_key=api_key,
            timeout=timeout,
            max_retries=0,
            http_client=http_client,
        )
        name = f"azure:{settings.model}"
        endpoint = f"{display_url(url).rstrip('/')}/openai/deployments/{settings.model}"
    else:
        client = openai.OpenAI(
            base_url=url,
            api_key=api_key or "unused",
            timeout=timeout,
            max_retries=0,
            http_client=http_client,
        )
        label = settings.local_model if settings.provider == "local" else settings.model
        name = f"{settings.provider}:{label}"
        endpoint = display_url(url)
    return OpenAIChatModel(
        client,
        model=settings.model,
        name=name,
        endpoint=endpoint,
        first_token_timeout_s=settings.first_token_timeout_s,
        timeout_s=settings.timeout_s,
    )


def _as_params(messages: list[dict[str, str]]) -> Any:
    """Our plain role/content dicts are what the SDK's typed message params describe."""
    return [{"role": m["role"], "content": m["content"]} for m in messages]
