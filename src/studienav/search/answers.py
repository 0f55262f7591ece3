"""Answers of earlier searches, kept in the shared cache until the index next changes.

Every write to the index (`studienav.search.index`) gives the index a new generation when its
transaction commits; an answer is kept under the generation it was computed in, so no search
is answered from before a change once the change is committed. Kept only when the cache is
one the workers share (with each worker's own memory, one worker would not see another's
change): `SEARCH_CACHE_SECONDS` bounds how long (0 turns it off).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from studienav.core.checks import cache_is_shared

_GENERATION = "search:generation"


def answers_kept_seconds() -> int:
    return int(settings.SEARCH_CACHE_SECONDS) if cache_is_shared() else 0


def search_changed() -> None:
    """The index changed: once the transaction commits, no earlier answer is used again."""
    if answers_kept_seconds():
        transaction.on_commit(lambda: cache.set(_GENERATION, uuid.uuid4().hex, None))


def _generation() -> str:
    generation = cache.get(_GENERATION)
    if generation is None:
        cache.add(_GENERATION, uuid.uuid4().hex, None)
        generation = cache.get(_GENERATION) or "none"
    return str(generation)


def kept_key(kind: str, asked: str) -> str:
    """The cache key of something kept until the index changes: its kind, the index's
    generation and a digest of what was asked."""
    digest = hashlib.sha256(asked.encode()).hexdigest()
    return f"{kind}:{_generation()}:{digest}"


def answer_key(question: Any) -> str:
    """The cache key of a search's answer: the question (its repr) and the index's generation.
    Answers hold no text in any language, so the pages in both languages and the API share
    them."""
    return kept_key("search", repr(question))


def answer_get(key: str) -> Any:
    return cache.get(key)


def answer_keep(key: str, answer: Any) -> None:
    cache.set(key, answer, answers_kept_seconds())
