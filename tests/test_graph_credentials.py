"""Signing in to Microsoft Graph with a certificate instead of a client secret.

A token endpoint on loopback checks the client assertion the way Microsoft's identity
platform documents it for certificate credentials: ``client_assertion_type``
jwt-bearer, a JWT whose header has ``alg`` PS256, ``typ`` JWT and ``x5t#S256`` (the
base64url SHA-256 thumbprint of the certificate's DER), whose claims have ``aud`` the
token URL, ``iss`` and ``sub`` the client id, a ``jti``, ``nbf``/``iat`` now and ``exp``
a few minutes on, signed with the certificate's key. The certificate is made in the test
(cryptography), the one the app registration would hold; the client is the real one.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from pydantic import ValidationError

from assistant.settings import SharePointSource
from ingest.graph import ASSERTION_TYPE, GraphClient, GraphError
from ingest.sharepoint import sync

TENANT = "3c1e9a52-8d4b-4f0e-9a61-2b7c5d9e0f11"
CLIENT_ID = "a7d0c2e4-1b3f-4c5d-8e9f-0a1b2c3d4e5f"
SITE = "kommun.sharepoint.com:/sites/styrdokument"
PASSWORD = "nyckellösen-4711"


def _certificate(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kommun-assistent")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def _pem(key: Any, certificate: x509.Certificate, password: str | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    return private + certificate.public_bytes(serialization.Encoding.PEM)


def _thumbprint(certificate: x509.Certificate) -> str:
    der = certificate.public_bytes(serialization.Encoding.DER)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


@dataclass
class Identity:
    """The identity platform's token endpoint and one Graph resource, on loopback."""

    certificate: x509.Certificate
    port: int = 0
    assertions: list[dict[str, Any]] = field(default_factory=list)  # header and claims seen
    refusals: list[str] = field(default_factory=list)
    revoke_once: bool = False  # the next Graph request answers 401 (the token revoked)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def check(self, form: dict[str, str]) -> str | None:
        """The error description for a bad client assertion, or None when it is good."""
        token_url = f"{self.base}/{TENANT}/oauth2/v2.0/token"
        if form.get("client_assertion_type") != ASSERTION_TYPE or "client_secret" in form:
            return "AADSTS7000218: client_assertion or client_secret required"
        public = self.certificate.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        try:
            token = jwt.decode(
                form.get("client_assertion", ""), RSAKey.import_key(public), algorithms=["PS256"]
            )
        except (JoseError, ValueError) as exc:
            return f"AADSTS700027: the signature does not verify ({type(exc).__name__})"
        header, claims = dict(token.header), dict(token.claims)
        self.assertions.append({"header": header, "claims": claims})
        now = time.time()
        if header.get("typ") != "JWT" or header.get("x5t#S256") != _thumbprint(self.certificate):
            return "AADSTS700027: the certificate's thumbprint is not registered"
        if claims.get("aud") != token_url:
            return "AADSTS700016: wrong audience"
        if claims.get("iss") != CLIENT_ID or claims.get("sub") != CLIENT_ID:
            return "AADSTS700016: wrong issuer or subject"
        if not claims.get("jti") or not claims["nbf"] <= now + 5 < claims["exp"] <= now + 900:
            return "AADSTS700024: the assertion is not within its valid time range"
        return None


def _handler(identity: Identity) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path != f"/{TENANT}/oauth2/v2.0/token" or form.get("client_id") != CLIENT_ID:
                self._json(400, {"error": "invalid_request"})
                return
            problem = identity.check(form)
            if problem is not None:
                identity.refusals.append(problem)
                self._json(401, {"error": "invalid_client", "error_description": problem})
                return
            jti = identity.assertions[-1]["claims"]["jti"]
            self._json(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": jti})

        def do_GET(self) -> None:
            known = {a["claims"]["jti"] for a in identity.assertions}
            bearer = self.headers.get("authorization", "").removeprefix("Bearer ")
            if identity.revoke_once or bearer not in known:
                identity.revoke_once = False
                self._json(401, {"error": {"code": "InvalidAuthenticationToken"}})
                return
            self._json(200, {"id": "kommun.sharepoint.com,1,2", "token": bearer})

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def identity(key: rsa.RSAPrivateKey) -> Iterator[Identity]:
    identity = Identity(_certificate(key))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(identity))
    identity.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield identity
    finally:
        server.shutdown()
        server.server_close()


def _source(identity: Identity, pem: Path, **changes: Any) -> SharePointSource:
    return SharePointSource(
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        client_certificate=pem,
        site=SITE,
        graph_url=identity.base,
        authority_url=identity.base,
        max_retries=0,
        **changes,
    )


def test_a_certificate_signs_in_with_a_client_assertion_as_microsoft_documents(
    tmp_path: Path, identity: Identity, key: rsa.RSAPrivateKey
) -> None:
    pem = tmp_path / "graph.pem"
    pem.write_bytes(_pem(key, identity.certificate))
    with GraphClient(_source(identity, pem)) as client:
        first = client.get("sites/root")
        identity.revoke_once = True  # Graph refuses the token once: a fresh sign-in
        second = client.get("sites/root")
    assert not identity.refusals, identity.refusals
    [one, two] = identity.assertions
    assert one["header"] == {
        "alg": "PS256",
        "typ": "JWT",
        "x5t#S256": _thumbprint(identity.certificate),
    }
    assert one["claims"]["aud"] == f"{identity.base}/{TENANT}/oauth2/v2.0/token"
    assert one["claims"]["exp"] - one["claims"]["nbf"] == 300
    assert first["token"] == one["claims"]["jti"]
    assert second["token"] == two["claims"]["jti"] != first["token"], "a new jti each time"


def test_an_encrypted_key_is_opened_with_its_password(
    tmp_path: Path, identity: Identity, key: rsa.RSAPrivateKey
) -> None:
    pem = tmp_path / "graph.pem"
    pem.write_bytes(_pem(key, identity.certificate, PASSWORD))
    source = _source(identity, pem, client_certificate_password=PASSWORD)
    with GraphClient(source) as client:
        assert client.get("sites/root")["id"]
    wrong = _source(identity, pem, client_certificate_password="fel-lösen")
    with GraphClient(wrong) as client, pytest.raises(GraphError) as refused:
        client.get("sites/root")
    assert "cannot be used" in refused.value.message
    assert "fel-lösen" not in refused.value.message


def test_a_certificate_that_cannot_sign_in_is_said_before_any_request(
    tmp_path: Path, identity: Identity, key: rsa.RSAPrivateKey
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    mismatched = tmp_path / "mismatched.pem"  # a key beside another key's certificate
    mismatched.write_bytes(
        _pem(other, identity.certificate).split(b"-----BEGIN CERTIFICATE")[0]
        + identity.certificate.public_bytes(serialization.Encoding.PEM)
    )
    elliptic = ec.generate_private_key(ec.SECP256R1())
    not_rsa = tmp_path / "ec.pem"
    not_rsa.write_bytes(_pem(elliptic, _certificate(elliptic)))
    cases = {
        tmp_path / "missing.pem": "cannot be used",
        mismatched: "not the key of its certificate",
        not_rsa: "no RSA key",
    }
    for path, said in cases.items():
        with GraphClient(_source(identity, path)) as client, pytest.raises(GraphError) as bad:
            client.get("sites/root")
        assert said in bad.value.message, (path, bad.value.message)
        assert client.requests == 0
    # A certificate the app registration does not hold: the token endpoint refuses it.
    unknown = tmp_path / "unknown.pem"
    unknown.write_bytes(_pem(other, _certificate(other)))
    with GraphClient(_source(identity, unknown)) as client, pytest.raises(GraphError) as bad:
        client.get("sites/root")
    assert identity.refusals == ["AADSTS700027: the signature does not verify (BadSignatureError)"]
    assert "AADSTS700027" in bad.value.message


def test_a_sync_with_an_unusable_certificate_changes_nothing_and_says_why(
    tmp_path: Path, identity: Identity
) -> None:
    mirror = tmp_path / "mirror"
    report = sync(_source(identity, tmp_path / "saknas.pem"), mirror, {})
    assert report.aborted is not None
    assert "client certificate" in report.aborted
    assert [p.reason for p in report.problems] == ["sign_in"]
    assert not report.new
    assert not report.removed


def test_the_settings_take_exactly_one_credential(tmp_path: Path) -> None:
    common = {"tenant_id": TENANT, "client_id": CLIENT_ID, "site": SITE}
    with pytest.raises(ValidationError, match="one credential"):
        SharePointSource(**common)
    with pytest.raises(ValidationError, match="one credential"):
        SharePointSource(
            **common, client_secret="hemlighet", client_certificate=tmp_path / "graph.pem"
        )
    assert SharePointSource(**common, client_secret="hemlighet").client_certificate is None
