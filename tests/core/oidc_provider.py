"""A small OpenID provider on 127.0.0.1 for the sign-in tests: the region's identity provider.

It runs the authorization-code flow with PKCE as a real provider does: /authorize sends the
browser back with a code for whoever `person` names, /token answers with an ID token signed
RS256 under a key made at start, /userinfo and /jwks answer the site's own calls. A test
spoils one part of an answer through `id_token_changes`, `sign_with_stranger_key`,
`refuse_with` or `token_status` to see the site refuse it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import import_module, reload
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.test import override_settings
from django.urls import clear_url_caches
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "studienav-test"
CLIENT_SECRET = "client-secret-of-the-tests"


@dataclass
class Grant:
    """What one code stands for until the site exchanges it."""

    claims: dict[str, Any]
    nonce: str | None
    redirect_uri: str
    code_challenge: str | None


@dataclass
class LocalProvider:
    """The provider's state; tests set the public fields, `reset()` puts them back."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    stranger_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    issuer: str = ""
    # Who signs in at /authorize next: the claims the provider gives about them.
    person: dict[str, Any] = field(default_factory=dict)
    # Claims changed or added in the next ID token (aud, exp, nonce, iss ...).
    id_token_changes: dict[str, Any] = field(default_factory=dict)
    sign_with_stranger_key: bool = False
    # /authorize answers with this OAuth error instead of a code ("access_denied").
    refuse_with: str = ""
    # /token answers with this status and no token (a provider in trouble).
    token_status: int = 200
    grants: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Every path the site itself called (token, keys, user info), in order.
    calls: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.person = {}
        self.id_token_changes = {}
        self.sign_with_stranger_key = False
        self.refuse_with = ""
        self.token_status = 200
        self.grants.clear()
        self.access_tokens.clear()
        self.calls.clear()

    def url(self, path: str) -> str:
        return self.issuer + path

    def sign_in_as(self, email: str, *, name: str = "", verified: bool = True) -> None:
        """Who the next /authorize signs in, as the region's directory knows them."""
        self.person = {
            "sub": hashlib.sha256(email.encode()).hexdigest()[:24],
            "email": email,
            "email_verified": verified,
            "name": name or email.split("@")[0].title(),
        }

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.url("/authorize"),
            "token_endpoint": self.url("/token"),
            "userinfo_endpoint": self.url("/userinfo"),
            "jwks_uri": self.url("/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": "test-key", "alg": "RS256", "use": "sig"}]}

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "amr": ["pwd", "mfa"],
            **grant.claims,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(self.id_token_changes)
        claims = {name: value for name, value in claims.items() if value is not None}
        key = self.stranger_key if self.sign_with_stranger_key else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "test-key"})


def _verifier_matches(grant: Grant, verifier: str) -> bool:
    """PKCE (S256): the code goes only to whoever started the sign-in."""
    if grant.code_challenge is None:
        return True
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == grant.code_challenge


class _Handler(BaseHTTPRequestHandler):
    provider: LocalProvider

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read answers, not the provider's log."""

    def _json(self, data: dict[str, Any], status: int = 200) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        provider = self.provider
        if url.path == "/.well-known/openid-configuration":
            self._json(provider.discovery())
        elif url.path == "/jwks":
            provider.calls.append("/jwks")
            self._json(provider.jwks())
        elif url.path == "/authorize":
            self._authorize(query)
        elif url.path == "/userinfo":
            provider.calls.append("/userinfo")
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            claims = provider.access_tokens.get(token)
            if claims is None:
                self._json({"error": "invalid_token"}, status=401)
            else:
                self._json(claims)
        else:
            self._json({"error": "not_found"}, status=404)

    def _authorize(self, query: dict[str, str]) -> None:
        provider = self.provider
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != CLIENT_ID or not redirect_uri:
            self._json({"error": "invalid_client"}, status=400)
            return
        back = {"state": query.get("state", "")}
        if provider.refuse_with or not provider.person:
            back["error"] = provider.refuse_with or "login_required"
        else:
            code = secrets.token_urlsafe(24)
            provider.grants[code] = Grant(
                claims=dict(provider.person),
                nonce=query.get("nonce"),
                redirect_uri=redirect_uri,
                code_challenge=query.get("code_challenge"),
            )
            back["code"] = code
        self._redirect(f"{redirect_uri}?{urlencode(back)}")

    def do_POST(self) -> None:
        provider = self.provider
        if urlsplit(self.path).path != "/token":
            self._json({"error": "not_found"}, status=404)
            return
        provider.calls.append("/token")
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if provider.token_status != 200:
            self._json({"error": "temporarily_unavailable"}, status=provider.token_status)
            return
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            self._json({"error": "invalid_client"}, status=401)
            return
        grant = provider.grants.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != grant.redirect_uri
            or not _verifier_matches(grant, form.get("code_verifier", ""))
        ):
            self._json({"error": "invalid_grant"}, status=400)
            return
        access_token = secrets.token_urlsafe(24)
        provider.access_tokens[access_token] = dict(grant.claims)
        answer = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": provider.id_token(grant),
        }
        self._json(answer)


class ProviderServer:
    """The provider served from a thread on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.provider = LocalProvider()
        handler = type("Handler", (_Handler,), {"provider": self.provider})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.provider.issuer = f"http://{host!s}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LocalProvider:
        self._thread.start()
        return self.provider

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _urls_reload() -> None:
    """The root URLs read OIDC_ENABLED once, when imported: read them again."""
    reload(import_module(settings.ROOT_URLCONF))
    clear_url_caches()


@contextmanager
def sign_in_enabled(provider: LocalProvider, **changes: Any) -> Iterator[None]:
    """The site configured for this provider (as the production settings would be)."""
    configured = {
        "OIDC_ENABLED": True,
        "OIDC_PROVIDER_NAME": "Region Uppsala",
        "OIDC_OP_ISSUER": provider.issuer,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": provider.url("/authorize"),
        "OIDC_OP_TOKEN_ENDPOINT": provider.url("/token"),
        "OIDC_OP_USER_ENDPOINT": provider.url("/userinfo"),
        "OIDC_OP_JWKS_ENDPOINT": provider.url("/jwks"),
        "OIDC_RP_CLIENT_ID": CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        "AUTHENTICATION_BACKENDS": [
            *settings.AUTHENTICATION_BACKENDS,
            "studienav.core.oidc.IdentityProviderBackend",
        ],
    }
    try:
        with override_settings(**{**configured, **changes}):
            _urls_reload()
            yield
    finally:
        _urls_reload()
