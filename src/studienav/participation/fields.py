"""Encryption at rest for personal fields, and keyed hashes for finding rows without decrypting."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _development_allowed() -> bool:
    # Django's test set-up installs mail.outbox; tests run with DEBUG forced off.
    return bool(settings.DEBUG) or hasattr(mail, "outbox")


def _derived(purpose: str) -> bytes:
    return hashlib.sha256(
        f"studienav.participation.{purpose}:{settings.SECRET_KEY}".encode()
    ).digest()


def _configured_keys() -> tuple[str, ...]:
    raw = getattr(settings, "PARTICIPATION_KEYS", "") or ""
    if isinstance(raw, list | tuple):
        raw = ",".join(raw)
    return tuple(k.strip() for k in str(raw).split(",") if k.strip())


@cache
def _fernet(keys: tuple[str, ...], secret: str) -> MultiFernet:
    if not keys:
        if not _development_allowed():
            raise ImproperlyConfigured(
                "PARTICIPATION_KEYS must be set (comma-separated Fernet keys) when DEBUG is off."
            )
        keys = (base64.urlsafe_b64encode(_derived("encryption")).decode(),)
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "PARTICIPATION_KEYS holds a key that is not a Fernet key."
        ) from error


def fernet() -> MultiFernet:
    """The keys now configured: the first encrypts, every one decrypts."""
    return _fernet(_configured_keys(), str(settings.SECRET_KEY))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same plaintext under the first key (key rotation)."""
    return fernet().rotate(token.encode()).decode()


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised value under PARTICIPATION_HASH_KEY (empty for empty)."""
    if not value:
        return ""
    key_text = getattr(settings, "PARTICIPATION_HASH_KEY", "") or ""
    if key_text:
        key = key_text.encode()
    elif _development_allowed():
        key = _derived("hash")
    else:
        raise ImproperlyConfigured("PARTICIPATION_HASH_KEY must be set when DEBUG is off.")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def email_hash(email: str) -> str:
    return keyed_hash(email.strip().lower())


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; empty stays empty. Cannot be searched: use a keyed hash."""

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except InvalidToken as error:
            raise ImproperlyConfigured(
                "A participation field cannot be decrypted: is its key in PARTICIPATION_KEYS?"
            ) from error

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
