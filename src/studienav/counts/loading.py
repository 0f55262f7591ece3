"""Load a folder of OMOP CSV or Parquet files into a region's store, checked, all or nothing.

Each table's file is found by name in any case (`PERSON.csv`, `person.parquet`,
`person.csv.gz`); headers may be upper- or lower-case. Every value is checked against the
column's type; the first bad value stops the load with its file, line and column. The new
store is written beside the old one and swapped in by one rename.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import sqlglot.expressions as exp
from django.utils.translation import gettext as _

from studienav.core.errors import DomainError
from studienav.counts.store import (
    REQUIRED_TABLES,
    SORT_KEYS,
    TABLES,
    VERSIONS,
    Column,
    data_dir,
    parquet_file,
    region_check,
)

SUFFIXES = (".csv", ".csv.gz", ".parquet")
DATE_FORMATS = ("%Y%m%d", "%d/%m/%Y")
LOAD_MEMORY = "4GB"


class LoadFailed(DomainError):
    """A file could not be loaded; the message names the file, line and column."""

    default_code = "load_failed"

    def __init__(
        self, *, file: str, message: str, line: int | None = None, column: str | None = None
    ) -> None:
        where = file if line is None else f"{file}:{line}"
        if column:
            where += f": {column}"
        super().__init__(message=f"{where}: {message}", field=column or "file")
        self.file = file
        self.line = line
        self.column = column


@dataclass(frozen=True)
class LoadResult:
    """What a load put into the store: rows per table, and the tables that were absent."""

    region: str
    rows: dict[str, int]
    absent: tuple[str, ...]
    seconds: float


def _find_files(source_dir: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(source_dir.iterdir()):
        name = path.name.lower()
        for suffix in SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in TABLES and path.is_file():
                table = name[: -len(suffix)]
                if table in found:
                    raise LoadFailed(
                        file=path.name,
                        message=_("two files for table %(table)s (%(other)s)")
                        % {"table": table, "other": found[table].name},
                    )
                found[table] = path
    return found


def _read(path: Path) -> exp.Expr:
    literal = exp.Literal.string(str(path))
    if path.name.lower().endswith(".parquet"):
        return exp.func("read_parquet", literal)
    return exp.func(
        "read_csv",
        literal,
        exp.EQ(this=exp.column("header"), expression=exp.true()),
        exp.EQ(this=exp.column("all_varchar"), expression=exp.true()),
        exp.EQ(this=exp.column("auto_detect"), expression=exp.true()),
    )


def _typed(value: exp.Expr, column: Column, source_type: str) -> exp.Expr:
    """`value` converted to the column's type; NULL where it does not convert."""
    if source_type == column.type:
        return value
    if column.type == "DATE" and source_type in ("VARCHAR", ""):
        attempts: list[exp.Expr] = [exp.TryCast(this=value.copy(), to=exp.DataType.build("DATE"))]
        for fmt in DATE_FORMATS:
            attempts.append(
                exp.TryCast(
                    this=exp.func("try_strptime", value.copy(), exp.Literal.string(fmt)),
                    to=exp.DataType.build("DATE"),
                )
            )
        return exp.Coalesce(this=attempts[0], expressions=attempts[1:])
    if column.type in ("INTEGER", "BIGINT") and source_type in (
        "VARCHAR",
        "DOUBLE",
        "FLOAT",
        "DECIMAL",
    ):
        # "12.0" is an integer written by a spreadsheet; "12.5" is not.
        as_double = exp.TryCast(this=value.copy(), to=exp.DataType.build("DOUBLE"))
        return exp.If(
            this=exp.EQ(this=as_double.copy(), expression=exp.func("floor", as_double.copy())),
            true=exp.TryCast(this=as_double.copy(), to=exp.DataType.build(column.type)),
            false=exp.Null(),
        )
    return exp.TryCast(this=value.copy(), to=exp.DataType.build(column.type))


def _blank(value: exp.Expr) -> exp.Expr:
    return exp.or_(
        exp.Is(this=value.copy(), expression=exp.Null()),
        exp.EQ(
            this=exp.Trim(this=exp.cast(value.copy(), exp.DataType.Type.VARCHAR)),
            expression=exp.Literal.string(""),
        ),
    )


def _load_table(
    connection: duckdb.DuckDBPyConnection, *, table: str, path: Path, target: Path
) -> int:
    columns = TABLES[table]
    name = path.name
    is_csv = not name.lower().endswith(".parquet")
    # A CSV is read once into memory; a Parquet file is typed already and is read through a view.
    kind = "TABLE" if is_csv else "VIEW"
    try:
        connection.execute(
            exp.Create(
                this=exp.to_table("source"),
                kind=kind,
                replace=True,
                expression=exp.select(
                    exp.Star(),
                    exp.Window(this=exp.RowNumber()).as_("_row"),
                ).from_(_read(path)),
            ).sql(dialect="duckdb")
        )
        described = connection.execute("DESCRIBE source").fetchall()
    except duckdb.Error as error:
        raise LoadFailed(file=name, message=str(error).splitlines()[0][:500]) from error
    source_columns: dict[str, tuple[str, str]] = {}
    for row in described:
        if row[0] == "_row":
            continue
        lowered = str(row[0]).strip().lower()
        if lowered in source_columns:
            raise LoadFailed(
                file=name, line=1, column=lowered, message=_("the column appears twice")
            )
        source_columns[lowered] = (str(row[0]), str(row[1]).upper())
    for column in columns:
        if column.required and column.name not in source_columns:
            raise LoadFailed(
                file=name, line=1, column=column.name, message=_("required column is missing")
            )
    selected: list[exp.Expr] = []
    for column in columns:
        if column.name not in source_columns:
            selected.append(exp.cast(exp.Null(), exp.DataType.build(column.type)).as_(column.name))
            continue
        original, source_type = source_columns[column.name]
        value = exp.column(original, quoted=True)
        typed = _typed(value, column, source_type)
        # The first value that is present but does not convert, or a required value that is blank.
        selected.append(exp.cast(typed, exp.DataType.build(column.type)).as_(column.name))
        if typed is value and not column.required:
            continue
        if typed is value:
            problem: exp.Expr = exp.Is(this=value.copy(), expression=exp.Null())
        else:
            problem = exp.and_(
                exp.not_(_blank(value)), exp.Is(this=typed.copy(), expression=exp.Null())
            )
            if column.required:
                problem = exp.or_(problem, _blank(value))
        bad = connection.execute(
            exp.select(exp.column("_row"), exp.cast(value.copy(), exp.DataType.Type.VARCHAR))
            .from_("source")
            .where(problem)
            .order_by("_row")
            .limit(1)
            .sql(dialect="duckdb")
        ).fetchone()
        if bad is not None:
            line = int(bad[0]) + (1 if is_csv else 0)  # a CSV's first line is its header
            if bad[1] is None or not str(bad[1]).strip():
                message = _("a value is required")
            else:
                message = _("%(value)s is not a valid %(type)s") % {
                    "value": repr(str(bad[1])[:40]),
                    "type": column.type.lower(),
                }
            raise LoadFailed(file=name, line=line, column=column.name, message=message)
    order = [exp.column(name) for name in SORT_KEYS.get(table, ())]
    query = exp.select(*selected).from_("source")
    if order:
        query = query.order_by(*order)
    _write(connection, query=query, target=parquet_file(target, table))
    count = connection.execute("SELECT count(*) FROM source").fetchone()
    connection.execute(f"DROP {kind} source")
    return int(count[0]) if count else 0


def _write(connection: duckdb.DuckDBPyConnection, *, query: exp.Query, target: str) -> None:
    statement = exp.Copy(
        this=query.subquery(),
        kind=False,
        files=[exp.Literal.string(target)],
        params=[
            exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("PARQUET")),
            exp.CopyParameter(this=exp.var("COMPRESSION"), expression=exp.var("ZSTD")),
        ],
    )
    connection.execute(statement.sql(dialect="duckdb"))


def empty_table_write(connection: duckdb.DuckDBPyConnection, *, table: str, target: Path) -> None:
    """Write an empty Parquet file with the table's columns."""
    columns = [exp.cast(exp.Null(), exp.DataType.build(c.type)).as_(c.name) for c in TABLES[table]]
    _write(
        connection,
        query=exp.select(*columns).where(exp.false()),
        target=parquet_file(target, table),
    )


def store_swap(*, region: str, folder: Path) -> None:
    """Make `folder` (inside the versions folder) the region's store in one atomic rename.

    The previous version is kept (a count running on it finishes); older ones are removed.
    """
    base = data_dir()
    link = base / region
    if link.exists() and not link.is_symlink():
        raise LoadFailed(
            file=str(link), message=_("is a folder, not a store link; move it away first")
        )
    previous = link.resolve() if link.is_symlink() else None
    temporary_link = base / f".{region}.link-{uuid.uuid4().hex}"
    os.symlink(os.path.relpath(folder, base), temporary_link)
    os.replace(temporary_link, link)
    for old in (base / VERSIONS).glob(f"{region}-*"):
        if old.resolve() not in (folder.resolve(), previous):
            shutil.rmtree(old, ignore_errors=True)


def counts_load(*, region: str, source_dir: Path | str) -> LoadResult:
    """Check and load every OMOP file of `source_dir` into `region`'s store, or nothing at all."""
    started = time.perf_counter()
    region_check(region)
    source = Path(source_dir)
    if not source.is_dir():
        raise LoadFailed(file=str(source), message=_("is not a folder"))
    files = _find_files(source)
    for table in REQUIRED_TABLES:
        if table not in files:
            raise LoadFailed(
                file=str(source),
                message=_("no file for the required table %(table)s") % {"table": table},
            )
    versions = data_dir() / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    target = versions / f"{region}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    target.mkdir()
    rows: dict[str, int] = {}
    absent: list[str] = []
    try:
        with duckdb.connect(database=":memory:") as connection:
            connection.execute("SET preserve_insertion_order = true")
            # A large sort spills to disk beside the new version rather than filling memory.
            connection.execute(f"SET memory_limit = '{LOAD_MEMORY}'")
            connection.execute(
                exp.Set(
                    expressions=[
                        exp.EQ(
                            this=exp.column("temp_directory"),
                            expression=exp.Literal.string(str(target / ".spill")),
                        )
                    ]
                ).sql(dialect="duckdb")
            )
            for table in TABLES:
                if table in files:
                    rows[table] = _load_table(
                        connection, table=table, path=files[table], target=target
                    )
                else:
                    empty_table_write(connection, table=table, target=target)
                    rows[table] = 0
                    absent.append(table)
        shutil.rmtree(target / ".spill", ignore_errors=True)
        store_swap(region=region, folder=target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return LoadResult(
        region=region, rows=rows, absent=tuple(absent), seconds=time.perf_counter() - started
    )
