"""Builds the models from settings: the one place that knows which provider is which.

Nothing here touches llama-index's global ``Settings``: callers get the object and pass it.
"""

from __future__ import annotations

from assistant.embeddings import EmbeddingModel, EndpointEmbedding, LocalE5Embedding
from assistant.settings import EmbeddingSettings


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
