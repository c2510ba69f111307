"""The project's exceptions, in one place.

Two families, so the edges (CLI, app) can tell the user what to do:

* ``InputError``: the user or admin gave something we cannot use: a bad setting, a
  file that cannot be read, a store that another process owns. Fixable by them.
* ``ServiceError``: a part we depend on failed: the embedding or model endpoint, the
  vector store. Usually transient or an operations matter.

Everything raised on purpose derives from ``AssistantError``. Code in the core raises
these; only ``assistant.cli`` and ``ui/`` turn them into messages.
"""

from __future__ import annotations

from enum import StrEnum


class AssistantError(Exception):
    """Base of every error this project raises on purpose."""


class InputError(AssistantError):
    """The user or admin gave input we cannot use."""


class ConfigError(InputError):
    """A setting is missing, malformed or contradicts another."""


class StoreBusyError(InputError):
    """The embedded store is owned by another process."""


class Reason(StrEnum):
    """Why a document was skipped; stable codes for reports and scripts."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"
    MISLABELLED = "mislabelled"
    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    UNDECODABLE = "undecodable"
    ZIP_BOMB = "zip_bomb"
    NO_TEXT = "no_text"
    UNREADABLE = "unreadable"
    ACCESS_RULES = "access_rules"
    PARSER_FAILED = "parser_failed"


class DocumentError(InputError):
    """One document cannot be indexed. The job records it and goes on."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class ServiceError(AssistantError):
    """A service we depend on failed (embedding endpoint, model endpoint, store)."""


class EmbeddingError(ServiceError):
    """The embedding model or endpoint failed."""


class StoreError(ServiceError):
    """The vector store failed or holds something we cannot use."""


class ModelError(ServiceError):
    """The chat model or its endpoint failed (refused, timed out, answered badly)."""
