"""Optional reranking of retrieved passages by a cross-encoder behind an HTTP endpoint.

Off by default. Two wire protocols are spoken: Hugging Face text-embeddings-inference
(``POST /rerank``) and the Cohere-style ``POST /v1/rerank`` that Jina, vLLM and Cohere
answer. Own client rather than llama-index's rerank postprocessors: those come as one
extra package per vendor, and none raises our ``ServiceError`` with a key-free message.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import httpx
from pydantic import SecretStr

from assistant.errors import ServiceError
from assistant.models.endpoints import (
    display_url,
    is_loopback,
    keep_url_secrets_out_of_logs,
    redact_urls,
    short,
)
from assistant.settings import RerankApi


class Reranker(Protocol):
    """What the retrieval step needs from a reranker."""

    name: str  # what scored, e.g. "tei:default", "cohere:BAAI/bge-reranker-v2-m3"

    def rerank(self, query: str, texts: Sequence[str]) -> list[float]:
        """One relevance score per text, in the order given; higher is more relevant.

        Raises ``ServiceError`` on any failure.
        """
        ...

    def close(self) -> None: ...


class EndpointReranker:
    """A reranking endpoint over one persistent HTTP connection pool.

    ``timeout_s`` bounds connecting and each wait for bytes; the answer to a rerank call
    is small, so in practice it bounds the call. No retries: reranking is optional, and
    the caller can keep the retrieval order when it fails.
    """

    def __init__(
        self,
        base_url: str,
        *,
        model: str | None = None,
        api_key: SecretStr | None = None,
        timeout_s: float = 10.0,
        api: RerankApi = "tei",
    ) -> None:
        self.api = api
        self.model = model
        self.timeout_s = timeout_s
        self.url = _rerank_url(base_url, api)  # as given: may hold user:password
        self.endpoint = display_url(self.url)  # for messages; never holds secrets
        self.name = f"{api}:{model or 'default'}"
        self._api_key = api_key
        keep_url_secrets_out_of_logs()
        headers = {"Accept": "application/json"}
        if api_key is not None:
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
            # Loopback is never reached through a proxy from the environment.
            trust_env=not is_loopback(self.url),
        )

    def rerank(self, query: str, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        body = self._post(self._payload(query, texts))
        pairs = self._pairs(body)
        scores: list[float | None] = [None] * len(texts)
        for index, score in pairs:
            if not 0 <= index < len(texts):
                raise self._error(f"index {index} out of range for {len(texts)} texts")
            if scores[index] is not None:
                raise self._error(f"index {index} returned twice")
            scores[index] = score
        missing = [i for i, s in enumerate(scores) if s is None]
        if missing:
            raise self._error(f"no score for {len(missing)} of {len(texts)} texts")
        return [s for s in scores if s is not None]

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __enter__(self) -> EndpointReranker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _payload(self, query: str, texts: Sequence[str]) -> dict[str, Any]:
        if self.api == "tei":
            return {"query": query, "texts": list(texts), "raw_scores": False, "truncate": True}
        payload: dict[str, Any] = {
            "query": query,
            "documents": list(texts),
            "top_n": len(texts),
        }
        if self.model:
            payload["model"] = self.model
        return payload

    def _post(self, payload: dict[str, Any]) -> Any:
        try:
            response = self._client.post(self.url, json=payload)
        except httpx.TimeoutException as exc:
            raise self._error(f"no answer within {self.timeout_s:g} s") from exc
        except httpx.TransportError as exc:
            raise self._error(f"cannot connect ({type(exc).__name__}: {exc})") from exc
        except httpx.HTTPError as exc:
            raise self._error(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise self._error(f"HTTP {response.status_code}: {short(response.text)}")
        try:
            return response.json()
        except ValueError as exc:
            raise self._error(f"answer is not JSON ({short(response.text)})") from exc

    def _pairs(self, body: Any) -> list[tuple[int, float]]:
        """(index, score) pairs from either protocol's answer."""
        if self.api == "tei":
            items, score_key = body, "score"
        else:
            items = body.get("results") if isinstance(body, dict) else None
            score_key = "relevance_score"
        if not isinstance(items, list):
            expected = "a list" if self.api == "tei" else "an object with a 'results' list"
            raise self._error(f"expected {expected}, got {short(repr(body))}")
        pairs = []
        for item in items:
            index = item.get("index") if isinstance(item, dict) else None
            score = item.get(score_key) if isinstance(item, dict) else None
            if (
                not isinstance(index, int)
                or isinstance(index, bool)
                or not isinstance(score, int | float)
                or isinstance(score, bool)
                or not math.isfinite(score)
            ):
                raise self._error(
                    f"expected items with an integer 'index' and a number '{score_key}', "
                    f"got {short(repr(item))}"
                )
            pairs.append((index, float(score)))
        return pairs

    def _error(self, what: str) -> ServiceError:
        message = f"Rerank endpoint {self.endpoint} failed: {redact_urls(what)}"
        if self._api_key is not None:  # a server may echo what it was sent
            message = message.replace(self._api_key.get_secret_value(), "***")
        return ServiceError(message)


def _rerank_url(base_url: str, api: RerankApi) -> str:
    base = base_url.rstrip("/")
    if api == "tei":
        return f"{base}/rerank"
    if base.rsplit("/", 1)[-1] in ("v1", "v2"):
        return f"{base}/rerank"
    return f"{base}/v1/rerank"
