"""System checks: the node setting names a known node; production shares its cache."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from studienav.core.reference import NODES


@register()
def check_node(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    known = [slug for slug, _name, _region in NODES]
    if settings.STUDIENAV_NODE not in known:
        return [
            Error(
                f"STUDIENAV_NODE={settings.STUDIENAV_NODE!r} is not a regional node.",
                hint="One of: " + ", ".join(known),
                id="studienav.E001",
            )
        ]
    return []


_PROCESS_LOCAL = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def cache_is_shared() -> bool:
    """Whether the default cache is one every worker sees (Redis, Memcached, the database)."""
    return settings.CACHES["default"]["BACKEND"] not in _PROCESS_LOCAL


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Single-use links, rate limits and kept key figures live in the cache: with several
    workers (docs/operations.md runs four) it must be one they share."""
    if not cache_is_shared():
        return [
            Warning(
                "The cache is each worker's own memory: single-use links could be used once "
                "per worker, and rate limits count per worker.",
                hint="Set CACHE_URL to a shared cache, e.g. redis://127.0.0.1:6379/1.",
                id="studienav.W001",
            )
        ]
    return []
