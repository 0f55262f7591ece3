"""A per-client counter in Django's cache for the public forms (no third-party CAPTCHA)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 3600


def _client(request: HttpRequest) -> str:
    # Hashed: the cache never holds a client's address.
    address = request.META.get("REMOTE_ADDR", "")
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:32]


def rate_limit_exceeded(request: HttpRequest, *, form: str) -> bool:
    """Count one submission; True once the client passed the limit within the hour."""
    limit = int(getattr(settings, "PARTICIPATION_RATE_LIMIT", 10))
    key = f"participation-rate:{form}:{_client(request)}"
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    return count > limit
