"""Who is asking: the client's address as the node's own proxies saw it, and how often each
client asked within a window (the rate limits of the API, the public exports and forms).

Behind `TRUSTED_PROXY_HOPS` proxies, each of which appends the address it was reached from to
`X-Forwarded-For`, the client is the entry that many places from the right: everything left
of it was written by the client and proves nothing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _ip(text: str) -> str | None:
    """`text` as a normalised IP address, with a port some proxies add taken off; None if it
    is no address."""
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:51234
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address of the client behind `TRUSTED_PROXY_HOPS` proxies (0: the connection's).

    A request that passed fewer proxies than configured, or whose entry is no address, counts
    as its connection: the proxy's address, never one the client chose.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    hops = int(getattr(settings, "TRUSTED_PROXY_HOPS", 0))
    if hops <= 0:
        return remote
    forwarded = [
        entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()
    ]
    if len(forwarded) < hops:
        return remote
    return _ip(forwarded[-hops]) or remote


def _client_key(request: HttpRequest) -> str:
    # Hashed: the cache never holds a client's address.
    seed = f"{settings.SECRET_KEY}:{client_address(request)}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def client_rate_limited(
    request: HttpRequest, *, scope: str, limit: int, window_seconds: int
) -> int | None:
    """Count this request against the client's `limit` for `scope` in the current window of
    `window_seconds`; once over it, the seconds until the next window, else None. A limit of
    0 turns the count off."""
    if limit <= 0:
        return None
    now = time.time()
    window = int(now // window_seconds)
    key = f"rate:{scope}:{_client_key(request)}:{window}"
    cache.add(key, 0, window_seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window_seconds + 5)
        count = 1
    if count <= limit:
        return None
    return max(1, int((window + 1) * window_seconds - now) + 1)


def open_data_rate_limited(request: HttpRequest) -> int | None:
    """The budget of machine reads, one per client over the API, the FHIR facade, the Atom
    feed and the CSV of a search: `API_RATE_LIMIT` a minute. Seconds to wait, or None."""
    return client_rate_limited(
        request,
        scope="open-data",
        limit=int(getattr(settings, "API_RATE_LIMIT", 600)),
        window_seconds=60,
    )
