"""The project's exceptions, in one place.

Two families, so the edges (CLI, app) can tell the user what to do:

* ``InputError``: the user or admin gave something we cannot use: a bad setting, a
  file that cannot be read (``ingest.errors.DocumentError``), a store that another
  process owns. Fixable by them.
* ``ServiceError``: a part we depend on failed: the embedding or model endpoint, the
  vector store. Usually transient or an operations matter.

Everything raised on purpose derives from ``AssistantError``. Code in the core raises
these; only the CLI (``cli``) and ``ui/`` turn them into messages.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error this project raises on purpose."""


class InputError(AssistantError):
    """The user or admin gave input we cannot use."""


class ConfigError(InputError):
    """A setting is missing, malformed or contradicts another."""


class StoreBusyError(InputError):
    """The embedded store is owned by another process."""


class ServiceError(AssistantError):
    """A service we depend on failed (embedding endpoint, model endpoint, store)."""


class EmbeddingError(ServiceError):
    """The embedding model or endpoint failed."""


class StoreError(ServiceError):
    """The vector store failed or holds something we cannot use."""


class ModelError(ServiceError):
    """The chat model or its endpoint failed (refused, timed out, answered badly)."""


class LineFull(ServiceError):
    """Every place in the line in front of the chat model is taken (for callers that
    would rather come back than be answered from the documents' sentences)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"the language model's line is full: try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s
