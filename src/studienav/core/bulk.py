"""Insert many plain rows with one `executemany`: the fast path of bulk imports.

`QuerySet.bulk_create` builds a model instance per row and compiles every value into SQL;
for an import of thousands of studies with tens of child rows each that compilation was half
of the import's time (`make bench`, bench_import). Here rows are tuples in the order of the
given fields; values of fields that store as they are (text, numbers, booleans, foreign keys)
go to the driver untouched, and every other field (dates, JSON, ...) is prepared by the field
itself (`get_db_prep_save`), so what lands in the database is what the ORM would have written.

Nothing here runs `save()`, signals or model validation: callers validate first, and use it
only for rows of their own import inside their own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.expressions import RawSQL

_AS_THEY_ARE = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}

Prepare = Callable[[Any], Any] | None


class JsonText(str):
    """A JSON field's value already encoded as JSON (the value the field would store, perhaps
    spaced differently), so that the work can be done elsewhere (an import's reading process);
    written as it is."""

    __slots__ = ()


def _json_text(text: JsonText) -> Any:
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        return Jsonb(text, dumps=str)
    return str(text)


def _preparer(field: models.Field[Any, Any]) -> Prepare:
    if field.get_internal_type() in _AS_THEY_ARE:
        return None
    known: dict[Any, Any] = {}  # an import stamps thousands of rows with the same moment

    def prepare(value: Any) -> Any:
        if isinstance(value, JsonText):
            return _json_text(value)
        try:
            return known[value]
        except KeyError:
            known[value] = prepared = field.get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # unhashable (JSON)
            return field.get_db_prep_save(value, connection)

    return prepare


def ids_reserve(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys for rows the caller inserts with explicit ids.

    PostgreSQL draws them from the table's sequence (safe beside concurrent writers). SQLite
    has one writer at a time (transactions are IMMEDIATE), so inside the caller's transaction
    the next ids are those after both the largest id and the AUTOINCREMENT counter (ids of
    deleted rows are never reused), and inserting them moves that counter on.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    assert model._meta.pk is not None
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")  # noqa: S608
        largest = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        start = max(largest, cursor.fetchone()[0]) + 1
    return list(range(start, start + count))


def instances_insert(objects: Sequence[models.Model]) -> None:
    """Insert unsaved model instances of one model with every concrete field, giving each its
    new primary key (as `bulk_create` does, without compiling every value into SQL)."""
    if not objects:
        return
    model = type(objects[0])
    for obj, pk in zip(objects, ids_reserve(model, len(objects)), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    names = [field.attname for field in model._meta.concrete_fields]
    rows_insert(
        model,
        [field.name for field in model._meta.concrete_fields],
        ([getattr(obj, name) for name in names] for obj in objects),
    )


def rows_insert(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert rows (tuples of values in the order of `fields`); returns how many."""
    meta = model._meta
    columns: list[models.Field[Any, Any]] = [
        meta.get_field(name)  # type: ignore[misc]
        for name in fields
    ]
    prepares = [_preparer(field) for field in columns]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
        quote(meta.db_table),
        ", ".join(quote(str(field.column)) for field in columns),
        ", ".join(["%s"] * len(columns)),
    )
    if any(prepares):
        prepared: Iterable[Sequence[Any]] = (
            tuple(
                value if prepare is None or value is None else prepare(value)
                for value, prepare in zip(row, prepares, strict=True)
            )
            for row in rows
        )
    else:
        prepared = rows
    batch = list(prepared)
    if batch:
        with connection.cursor() as cursor:
            cursor.executemany(sql, batch)
    return len(batch)


def ids_subquery(ids: Iterable[int]) -> RawSQL:
    """A set of ids as one query parameter, for `field__in=`: no limit on how many, and none of
    the per-value work the ORM does for a literal list (thousands of ids cost milliseconds)."""
    values = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (values,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))


def planner_statistics_refresh(*models_: type[models.Model]) -> None:
    """Fresh statistics for the query planner on the tables of these models, after bulk writes.

    Without them SQLite picks an index by its shape alone (for a search, the status index over
    every recruiting study instead of the few the text matched). SQLite samples a bounded
    number of rows per index, so this takes milliseconds even at 500,000 studies.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
        for model in models_:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        if connection.vendor == "sqlite":
            # Back to whole-table analysis for the connection's later ANALYZE (the statistics'
            # fact tables need exact figures to pick their covering indexes).
            cursor.execute("PRAGMA analysis_limit=0")
