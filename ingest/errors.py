"""Ingest's own vocabulary: why a document (or a web page) was skipped.

A ``DocumentError`` concerns one file: the job records it with its ``Reason`` and goes
on with the rest. Anything else the job meets (a bad setting, a failing store) stops it.
"""

from __future__ import annotations

from enum import StrEnum

from assistant.errors import InputError


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
    OUTSIDE_ROOT = "outside_root"  # a link that leads out of the folder being indexed
    PARSER_FAILED = "parser_failed"
    PERSONAL_DATA = "personal_data"  # holds personal identity numbers, ingest policy 'skip'
    # A web source's URLs (ingest/web.py): why one was not fetched, or not this time.
    ROBOTS = "robots"  # robots.txt forbids the crawler's user agent
    REDIRECTS = "redirects"  # a redirect loop, too many, or off the site
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # the connection failed or broke off
    HTTP_ERROR = "http_error"  # any answer but 200, 304, 404 and 410
    # A SharePoint item (ingest/sharepoint.py) none of whose grants maps to an access group.
    PERMISSIONS = "permissions"
    # A SharePoint source whose credential (secret or certificate) is refused or unusable.
    SIGN_IN = "sign_in"


class DocumentError(InputError):
    """One document cannot be indexed. The job records it and goes on."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
