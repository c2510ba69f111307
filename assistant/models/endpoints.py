"""Small helpers shared by the HTTP endpoint clients (embeddings, chat model, reranker,
store server): how an endpoint is named in messages and logs without its secrets.

A base URL may carry credentials (``https://user:password@host/…``) or a key in its
query (``?api-key=…``). Messages name an endpoint by ``display_url`` only, text that may
quote a URL (a library's error, a server's answer) passes ``redact_urls``, and the HTTP
libraries' own request log lines are redacted the same way (``keep_url_secrets_out_of_logs``).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

# The user info of any URL in a text, and the value of any query parameter.
_USERINFO = re.compile(r"(?<=://)[^\s/?#@]*@")
_QUERY_VALUE = re.compile(r"(?<=[?&])([^\s=&#\"'<>]+)=[^\s&#\"'<>]*")
# The HTTP clients the endpoint clients use (openai's is httpx2); each logs every request's
# whole URL at INFO, and httpcore the response headers (a redirect's Location) at DEBUG. A
# logger's filter sees only what is logged on it, so each is named.
_HTTP_LOGGERS = ("httpx", "httpx2", "httpcore.http11", "httpcore.http2", "httpcore.connection")


def display_url(url: str) -> str:
    """The URL without credentials or query (which may carry keys)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: said by the client's own error, not here
        port = None
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def redact_urls(text: str) -> str:
    """``text`` with the user info and the query values of every URL in it cut out."""
    return _QUERY_VALUE.sub(r"\1=***", _USERINFO.sub("***@", text))


class _RedactUrls(logging.Filter):
    """Rewrites a log record's message through ``redact_urls``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_urls(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def keep_url_secrets_out_of_logs() -> None:
    """Redact URLs in what the HTTP clients log (once per process; called by the code that
    builds an endpoint client, wherever it runs)."""
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactUrls) for f in logger.filters):
            logger.addFilter(_RedactUrls())


def is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def short(text: str, limit: int = 300) -> str:
    """One line of at most ``limit`` characters, for error messages."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
