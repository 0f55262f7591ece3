"""A per-client count of the public forms' posts (no third-party CAPTCHA)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from studienav.core.clients import client_rate_limited

WINDOW_SECONDS = 3600


def rate_limit_exceeded(request: HttpRequest, *, form: str) -> bool:
    """Count one submission; True once the client passed `PARTICIPATION_RATE_LIMIT` within
    the hour."""
    waited = client_rate_limited(
        request,
        scope=f"participation:{form}",
        limit=int(getattr(settings, "PARTICIPATION_RATE_LIMIT", 10)),
        window_seconds=WINDOW_SECONDS,
    )
    return waited is not None
