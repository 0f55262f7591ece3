"""PostgreSQL planner settings for the queries of one search, in its own transaction and set
back afterwards (`search.services`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction


@contextmanager
def planner_told(settings: dict[str, str]) -> Iterator[dict[str, str]]:
    """PostgreSQL: the settings for the queries inside, in a transaction; yields the settings
    as they were, and sets them back at the end of a transaction that goes on (the end of
    its own transaction does that, and a failure rolls them back with the savepoint). Nothing
    on SQLite."""
    if connection.vendor != "postgresql":
        yield {}
        return
    outermost = not connection.in_atomic_block
    names = list(settings)
    with transaction.atomic(), connection.cursor() as cursor:
        # One round trip: the settings as they were (read first, in the CTE), then set.
        before_sql = ", ".join(f"current_setting(%s) AS s{i}" for i in range(len(names)))
        calls = ", ".join(["set_config(%s, %s, true)"] * len(names))
        cursor.execute(
            f"WITH b AS MATERIALIZED (SELECT {before_sql}) SELECT b.*, {calls} FROM b",  # noqa: S608
            [*names, *(v for item in settings.items() for v in item)],
        )
        before = dict(zip(names, cursor.fetchone(), strict=False))
        yield before
        if not outermost:
            settings_set(cursor, before)


def settings_set(cursor: Any, settings: dict[str, str]) -> None:
    """Settings of the running transaction, in one statement."""
    calls = ", ".join(["set_config(%s, %s, true)"] * len(settings))
    cursor.execute(f"SELECT {calls}", [v for item in settings.items() for v in item])
