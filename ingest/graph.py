"""A small Microsoft Graph client for an app reading SharePoint: what ``ingest/sharepoint.py``
asks of Graph, and nothing else.

- Signs in with client credentials (``POST {authority}/{tenant}/oauth2/v2.0/token``, scope
  ``https://graph.microsoft.com/.default``): the client secret, or a client assertion
  signed with the certificate's key as Microsoft documents it (header ``alg`` PS256,
  ``typ`` JWT, ``x5t#S256`` the certificate's SHA-256 thumbprint; claims ``aud`` the token
  URL, ``iss`` and ``sub`` the client id, ``jti``, ``iat``, ``nbf``, ``exp`` five minutes
  on). The token is kept until a minute before it expires, and fetched again once when
  Graph answers 401.
- The token goes to ``graph_url``'s host only: an ``@odata.nextLink`` or ``deltaLink``
  elsewhere is refused, and a file's content is fetched from the pre-authenticated URL
  Graph redirects to *without* it (as Microsoft documents for ``/content``).
- Throttling: 429 and 503 are tried again after their ``Retry-After`` (seconds), at most
  ``max_retries`` times; a connection that fails is tried again the same way.
- Every other failure is a ``GraphError`` with the HTTP status, Graph's error code and its
  message; the client secret is in no message (it travels in one request body only).

httpx, already a dependency, is the whole transport: Microsoft's Graph SDK and MSAL would
add two large dependency trees for four endpoints.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import SecretStr

from assistant.models.endpoints import keep_url_secrets_out_of_logs
from assistant.settings import SharePointSource

SCOPE = "https://graph.microsoft.com/.default"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_ASSERTION_S = 300  # a client assertion's lifetime
_MARGIN_S = 60  # a token is renewed this long before it expires
_THROTTLED = (429, 503)
_MAX_WAIT_S = 300.0  # a Retry-After longer than this is cut to it


class GraphError(Exception):
    """A request Graph (or the sign-in, or a download) did not answer as hoped."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        location: str | None = None,
        timeout: bool = False,
        sign_in: bool = False,
    ) -> None:
        super().__init__(message)
        self.message, self.status, self.code = message, status, code
        self.location = location  # 410 Gone: where a fresh enumeration starts
        self.timeout = timeout
        self.sign_in = sign_in  # the credential was refused or cannot be used


@dataclass(frozen=True)
class Certificate:
    """The app registration's certificate credential: its private key and thumbprint."""

    key: RSAKey
    thumbprint: str  # x5t#S256: base64url SHA-256 of the certificate's DER

    @classmethod
    def load(cls, path: Path | None, password: SecretStr | None) -> Certificate:
        """Read a PEM file holding an RSA private key and its certificate; a file that
        cannot be used is a ``GraphError`` saying why (the sync stops before any request)."""
        try:
            pem = Path(path or "").read_bytes()
            secret = password.get_secret_value().encode() if password else None
            private = serialization.load_pem_private_key(pem, password=secret)
            certificate = x509.load_pem_x509_certificate(pem)
        except (OSError, ValueError, TypeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc).split("\n")[0]
            raise GraphError(
                f"the client certificate {path} cannot be used: {reason}", sign_in=True
            ) from None
        if not isinstance(private, rsa.RSAPrivateKey):
            raise GraphError(
                f"the client certificate {path} has no RSA key (PS256 needs one)", sign_in=True
            )
        public = certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey) or (
            public.public_numbers() != private.public_key().public_numbers()
        ):
            raise GraphError(f"the key in {path} is not the key of its certificate", sign_in=True)
        der = certificate.public_bytes(serialization.Encoding.DER)
        thumbprint = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=")
        unlocked = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(RSAKey.import_key(unlocked), thumbprint.decode())

    def assertion(self, client_id: str, token_url: str) -> str:
        now = int(time.time())
        header = {"alg": "PS256", "typ": "JWT", "x5t#S256": self.thumbprint}
        claims = {
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "nbf": now,
            "exp": now + _ASSERTION_S,
        }
        return jwt.encode(header, claims, self.key, algorithms=["PS256"])


class GraphClient:
    """One source's session with Graph. ``requests`` counts what was sent (retries too)."""

    def __init__(
        self, source: SharePointSource, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._source = source
        self._sleep = sleep
        self._graph = urlsplit(source.graph_url)
        keep_url_secrets_out_of_logs()  # download URLs carry their own authorisation
        self._client = httpx.Client(
            timeout=httpx.Timeout(source.timeout_s),
            follow_redirects=False,
            headers={"User-Agent": "kommun-assistant/0.1"},
        )
        self._token: str | None = None
        self._certificate: Certificate | None = None
        self._expires = 0.0
        self.requests = 0

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()

    # -- what the sync asks ------------------------------------------------------------------

    def get(self, path_or_url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """A Graph resource as JSON: a path below graph_url, or a link Graph gave."""
        response = self._graph_request(self._url(path_or_url), headers or {})
        try:
            return _json(response)
        finally:
            response.close()

    def pages(self, path_or_url: str, headers: dict[str, str] | None = None) -> Iterator[Any]:
        """Each page of a collection, following ``@odata.nextLink``."""
        url: str | None = self._url(path_or_url)
        while url:
            page = self.get(url, headers)
            yield page
            url = page.get("@odata.nextLink")

    def download(self, path: str, max_bytes: int) -> bytes:
        """A file's content: ``/content`` answers 302 to a pre-authenticated URL, which is
        fetched without the token; streamed, and given up beyond ``max_bytes``."""
        response = self._graph_request(self._url(path), {}, stream=True)
        if response.is_redirect and response.headers.get("location"):
            location = response.headers["location"]
            response.close()
            response = self._send("GET", location, {}, stream=True)
            if response.status_code != 200:
                error = _error(response, "the download URL")
                response.close()
                raise error
        try:
            return _body(response, max_bytes)
        finally:
            response.close()

    # -- transport --------------------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("https://", "http://")):
            parts = urlsplit(path_or_url)
            if (parts.scheme, parts.netloc) != (self._graph.scheme, self._graph.netloc):
                raise GraphError(
                    f"Graph sent a link to another host ({parts.netloc}); not followed"
                )
            return path_or_url
        return f"{self._source.graph_url}/{path_or_url.lstrip('/')}"

    def _graph_request(
        self, url: str, headers: dict[str, str], *, stream: bool = False
    ) -> httpx.Response:
        for attempt in range(2):
            auth = {"Authorization": f"Bearer {self._access_token()}"}
            response = self._send("GET", url, headers | auth, stream=stream)
            if response.status_code == 401 and attempt == 0:
                response.close()
                self._token = None  # revoked or expired early: sign in again, once
                continue
            if response.status_code == 200 or (response.is_redirect and stream):
                return response
            error = _error(response, "Graph")
            response.close()
            raise error
        raise AssertionError("unreachable")

    def _access_token(self) -> str:
        if self._token is not None and time.monotonic() < self._expires:
            return self._token
        source = self._source
        url = f"{source.authority_url}/{source.tenant_id}/oauth2/v2.0/token"
        form = {"grant_type": "client_credentials", "client_id": source.client_id, "scope": SCOPE}
        if source.client_secret is not None:
            form["client_secret"] = source.client_secret.get_secret_value()
        else:
            form["client_assertion_type"] = ASSERTION_TYPE
            form["client_assertion"] = self._assertion(url)
        response = self._send("POST", url, {}, data=form)
        try:
            body = _json(response) if response.status_code == 200 else {}
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                error = _error(response, "the sign-in (token endpoint)")
                error.sign_in = True
                raise error
        finally:
            response.close()
        lifetime = float(body.get("expires_in") or 0)
        self._token, self._expires = token, time.monotonic() + max(0.0, lifetime - _MARGIN_S)
        return token

    def _assertion(self, token_url: str) -> str:
        """A fresh client assertion for one sign-in (a new ``jti`` each time)."""
        if self._certificate is None:
            self._certificate = Certificate.load(
                self._source.client_certificate, self._source.client_certificate_password
            )
        return self._certificate.assertion(self._source.client_id, token_url)

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        data: dict[str, str] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """One request, tried again while throttled or unreachable (bounded)."""
        retries = self._source.max_retries
        for attempt in range(retries + 1):
            self.requests += 1
            try:
                request = self._client.build_request(method, url, headers=headers, data=data)
                response = self._client.send(request, stream=stream)
            except httpx.TimeoutException as exc:
                if attempt == retries:
                    raise GraphError(
                        f"no answer within {self._source.timeout_s:g} s (timeout_s)", timeout=True
                    ) from exc
                self._sleep(2.0**attempt)
                continue
            except httpx.HTTPError as exc:
                if attempt == retries:
                    raise GraphError(f"cannot be reached ({type(exc).__name__})") from exc
                self._sleep(2.0**attempt)
                continue
            if response.status_code not in _THROTTLED or attempt == retries:
                return response
            response.close()
            self._sleep(_retry_after(response.headers.get("retry-after"), attempt))
        raise AssertionError("unreachable")


def _retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: Retry-After as Graph sends it (seconds), else 1, 2, 4 … s."""
    try:
        return min(max(float(value or ""), 0.0), _MAX_WAIT_S)
    except ValueError:
        return min(2.0**attempt, _MAX_WAIT_S)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        response.read()
        body = response.json()
    except (ValueError, httpx.HTTPError) as exc:
        raise GraphError(
            f"Graph's answer is not JSON (HTTP {response.status_code})",
            status=response.status_code,
        ) from exc
    if not isinstance(body, dict):
        raise GraphError("Graph's answer is not a JSON object", status=response.status_code)
    return body


def _error(response: httpx.Response, who: str) -> GraphError:
    """Graph's ``{"error": {"code", "message"}}``, or the token endpoint's ``error`` and
    ``error_description``, said with the status."""
    code = message = None
    try:
        response.read()
        body = response.json()
        error = body.get("error")
        if isinstance(error, dict):
            code, message = error.get("code"), error.get("message")
        elif isinstance(error, str):
            code, message = error, body.get("error_description")
    except (ValueError, AttributeError, httpx.HTTPError):
        pass
    status = response.status_code
    detail = f" {code}" if code else ""
    detail += f": {str(message).splitlines()[0][:200]}" if message else ""
    if status in _THROTTLED:
        detail += " (throttled; tried again max_retries times)"
    return GraphError(
        f"{who} answered HTTP {status}{detail}",
        status=status,
        code=code,
        location=response.headers.get("location"),
    )


def _body(response: httpx.Response, limit: int) -> bytes:
    too_large = f"larger than {limit:,} bytes (max_bytes)".replace(",", " ")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise GraphError(too_large, code="too_large")
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise GraphError(too_large, code="too_large")
    except httpx.TimeoutException as exc:
        raise GraphError("the download stalled (timeout_s)", timeout=True) from exc
    except httpx.HTTPError as exc:
        raise GraphError(f"the download broke off ({type(exc).__name__})") from exc
    return bytes(body)
