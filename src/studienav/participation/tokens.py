"""Signed tokens for the links in e-mails (confirm, withdraw, keep, sign in); no personal data."""

from __future__ import annotations

import secrets
from typing import Any

from django.core import signing
from django.core.cache import cache

CONFIRM_MAX_AGE = 7 * 24 * 3600
SIGN_IN_MAX_AGE = 30 * 60
# Withdrawal must work for as long as the registration exists: the link never expires.
NO_EXPIRY = None


def token_make(*, purpose: str, payload: dict[str, Any]) -> str:
    return signing.dumps(payload, salt=f"studienav.participation.{purpose}", compress=True)


def token_read(*, purpose: str, token: str, max_age: int | None) -> dict[str, Any] | None:
    """The payload, or None when the token is forged, for another purpose or too old."""
    try:
        data = signing.loads(token, salt=f"studienav.participation.{purpose}", max_age=max_age)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) else None


def interest_token(*, purpose: str, interest_id: int) -> str:
    return token_make(purpose=purpose, payload={"i": interest_id})


def interest_from_token(*, purpose: str, token: str, max_age: int | None = NO_EXPIRY) -> int | None:
    data = token_read(purpose=purpose, token=token, max_age=max_age)
    value = data.get("i") if data else None
    return value if isinstance(value, int) else None


def one_time_token(*, purpose: str, payload: dict[str, Any]) -> str:
    return token_make(purpose=purpose, payload={**payload, "n": secrets.token_hex(8)})


def one_time_token_use(*, purpose: str, token: str, max_age: int) -> dict[str, Any] | None:
    """The payload the first time a token is used within max_age; None afterwards."""
    data = token_read(purpose=purpose, token=token, max_age=max_age)
    if not data or not isinstance(data.get("n"), str):
        return None
    if not cache.add(f"participation-token-used:{purpose}:{data['n']}", 1, timeout=max_age):
        return None
    return data
