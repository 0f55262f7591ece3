"""Ed25519 keys and signed messages between the hub and the regions' count agents.

A message is canonical JSON (sorted keys, no spaces) signed as bytes; the signature and the
signer's public key travel in headers beside it. Keys are base64 of their 32 raw bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

SIGNATURE_HEADER = "X-Counts-Signature"
KEY_HEADER = "X-Counts-Key"


class BadKey(ValueError):
    """A key is not base64 of 32 bytes."""


def _raw(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadKey("not base64") from error
    if len(raw) != 32:
        raise BadKey("an Ed25519 key is 32 bytes")
    return raw


def private_key_load(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_raw(text))


def public_key_load(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_raw(text))


def public_key_text(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode()


def key_pair_new() -> tuple[str, str]:
    """A fresh (private, public) pair as base64 text."""
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode(), public_key_text(private)


def hub_private_key() -> Ed25519PrivateKey:
    """The hub's signing key: COUNTS_HUB_PRIVATE_KEY, else one derived from SECRET_KEY."""
    if settings.COUNTS_HUB_PRIVATE_KEY:
        return private_key_load(settings.COUNTS_HUB_PRIVATE_KEY)
    seed = hashlib.sha256(b"counts-hub:" + settings.SECRET_KEY.encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def canonical(message: dict[str, Any]) -> bytes:
    return json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign(private: Ed25519PrivateKey, body: bytes) -> str:
    return base64.b64encode(private.sign(body)).decode()


def verify(public_key: str, body: bytes, signature: str) -> bool:
    """Whether `signature` over `body` is valid for the base64 `public_key`."""
    try:
        public_key_load(public_key).verify(base64.b64decode(signature, validate=True), body)
    except (BadKey, InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
