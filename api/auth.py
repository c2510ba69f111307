"""Who calls the API: a bearer token from the organisation's OpenID Connect provider,
checked here, or (without a provider) the one local user on loopback.

A token is a JWT signed by one of the provider's keys (its JWKS, found through the
discovery document of ``auth.metadata_url``), issued by the provider (``iss``), for this
app (``aud``: ``auth.api_audience``, by default the app's client id; an ID token for the
app carries it), and not expired. The keys are cached; a token signed with a key the cache
does not know makes one fresh fetch (the provider has rotated its keys), no more than once
a minute. The claims become an ``Identity`` through the same mapping as the app's sign-in.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from assistant.errors import AssistantError
from assistant.identity import Identity, SignInRefused, resolve_identity
from assistant.settings import AuthSettings

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
REFRESH_AT_MOST_EVERY_S = 60.0
LEEWAY_S = 10  # clocks of the provider and this machine may differ this much
FETCH_TIMEOUT_S = 10.0


class Unauthorised(AssistantError):
    """No token, or one that is not valid here (401)."""


class Forbidden(AssistantError):
    """A valid token whose user may not do this (403)."""


def _fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


class TokenVerifier:
    """Checks bearer tokens against the provider's discovery document and keys."""

    def __init__(self, auth: AuthSettings) -> None:
        if not auth.metadata_url:
            raise ValueError("a token verifier needs auth.metadata_url")
        self._auth = auth
        self._lock = threading.Lock()
        self._issuer: str | None = None
        self._jwks_uri: str | None = None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0

    @property
    def audience(self) -> str:
        return self._auth.api_audience or self._auth.client_id or ""

    def _discover(self) -> None:
        if self._jwks_uri is None:
            metadata = _fetch_json(str(self._auth.metadata_url))
            self._issuer, self._jwks_uri = str(metadata["issuer"]), str(metadata["jwks_uri"])

    def _key_set(self, *, fresh: bool = False) -> KeySet:
        with self._lock:
            self._discover()
            stale = time.monotonic() - self._fetched_at > REFRESH_AT_MOST_EVERY_S
            if self._keys is None or (fresh and stale):
                assert self._jwks_uri is not None
                self._keys = KeySet.import_key_set(_fetch_json(self._jwks_uri))  # type: ignore[arg-type]
                self._fetched_at = time.monotonic()
            return self._keys

    def claims(self, token: str) -> dict[str, Any]:
        """The token's claims, or ``Unauthorised`` with why."""
        try:
            try:
                decoded = jwt.decode(token, self._key_set(), algorithms=ALGORITHMS)
            except InvalidKeyIdError:  # keys rotated since they were fetched
                decoded = jwt.decode(token, self._key_set(fresh=True), algorithms=ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                leeway=LEEWAY_S,
                iss={"essential": True, "value": self._issuer or ""},
                aud={"essential": True, "value": self.audience},
                exp={"essential": True},
            )
            registry.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorised(f"the token is not valid here ({type(exc).__name__})") from exc
        except OSError as exc:
            raise Unauthorised("the sign-in provider's keys could not be fetched") from exc
        return dict(decoded.claims)

    def identity(self, token: str) -> Identity:
        try:
            return resolve_identity(self.claims(token), self._auth)
        except SignInRefused as exc:
            raise Forbidden(str(exc)) from exc
