"""Builds the models from settings: the one place that knows which provider is which.

Embeddings (local e5 or an endpoint), the chat model (the packaged model behind a local
llama.cpp server, or any OpenAI-compatible endpoint) and the optional reranker.

Nothing here touches llama-index's global ``Settings``: callers get the object and pass it.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import openai

from assistant.errors import AssistantError, ConfigError
from assistant.models.chat import ChatModel, OpenAIChatModel
from assistant.models.embeddings import EmbeddingModel, EndpointEmbedding, LocalE5Embedding
from assistant.models.endpoints import display_url, is_loopback
from assistant.models.local_server import LocalModelServer
from assistant.models.rerank import EndpointReranker, Reranker
from assistant.settings import EmbeddingSettings, ModelSettings, RerankSettings


def build_embedding(settings: EmbeddingSettings) -> EmbeddingModel:
    """The embedding model the settings name; local e5 unless an endpoint is configured."""
    if settings.provider == "local":
        return LocalE5Embedding(
            model_name=settings.model,
            embed_batch_size=settings.batch_size,
            threads=settings.threads,
        )
    assert settings.base_url is not None  # the settings validator guarantees it
    return EndpointEmbedding(
        model_name=settings.model,
        embed_batch_size=settings.batch_size,
        base_url=settings.base_url,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        timeout_s=settings.timeout_s,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
    )


def build_chat_model(
    settings: ModelSettings, *, base_url: str | None = None, api_key: str | None = None
) -> ChatModel:
    """The chat model the settings name.

    For provider "local", ``base_url`` and ``api_key`` are the running
    ``LocalModelServer``'s; for the others they override the settings' when given.
    """
    url = base_url or settings.base_url
    if not url:
        raise ConfigError(
            "No model endpoint: the local provider needs the local server's base_url; "
            "other providers need model.base_url."
        )
    if api_key is None and settings.api_key is not None:
        api_key = settings.api_key.get_secret_value()
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


def open_chat_model(
    settings: ModelSettings, models_dir: Path, stack: ExitStack
) -> tuple[ChatModel | None, str | None]:
    """The configured chat model, with the local server started (closed by ``stack``).

    A chat model that cannot be had is not fatal: the second value says why, and
    answers are then extractive.
    """
    base_url = api_key = None
    try:
        if settings.provider == "local":
            server = LocalModelServer.from_settings(settings, models_dir)
            stack.enter_context(server)
            base_url, api_key = server.base_url, server.api_key
        chat = build_chat_model(settings, base_url=base_url, api_key=api_key)
    except AssistantError as exc:
        return None, str(exc)
    stack.callback(chat.close)
    return chat, None


def build_reranker(settings: RerankSettings) -> Reranker | None:
    """The reranker the settings name, or None when reranking is off."""
    if settings.provider == "none":
        return None
    if not settings.base_url:
        raise ConfigError("rerank.base_url is required when rerank.provider is 'endpoint'")
    return EndpointReranker(
        settings.base_url,
        model=settings.model,
        api_key=settings.api_key,
        timeout_s=settings.timeout_s,
        api=settings.api,
    )
