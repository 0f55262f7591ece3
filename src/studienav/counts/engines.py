"""Run a cohort definition on a region's store and return exact counts (never protected here).

Two engines read the same Parquet store: DuckDB in-process (the default) and Apache Spark
(for a region whose data outgrows one machine). Protection of the numbers (threshold,
noise, budgets) is applied by the caller, never in this module.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from studienav.core.errors import DomainError
from studienav.counts.definition import CohortDefinition, ConceptSet

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENGINES = ("duckdb", "spark")


class EngineUnavailable(DomainError):
    """The engine asked for is unknown or cannot start on this machine."""

    default_code = "engine_unavailable"


@dataclass(frozen=True)
class CountResult:
    """Exact number of persons in the cohort, and how many remain after each criterion in order."""

    total: int
    attrition: tuple[tuple[str, int], ...]
    engine: str
    seconds: float


@dataclass(frozen=True)
class ConceptMatch:
    """One concept found for the builder."""

    concept_id: int
    name: str
    domain: str
    vocabulary: str
    code: str
    standard: bool
    matched: str  # the name, synonym or code that matched the search text


def count(*, region: str, definition: CohortDefinition, engine: str = "duckdb") -> CountResult:
    """Count the persons of `region` who fit `definition`, exactly, with its attrition.

    Raises `StoreMissing` (from `studienav.counts.store`) if the region has no store and
    `EngineUnavailable` for an unknown engine or one that cannot start.
    """
    from studienav.counts.store import store_path

    if engine not in ENGINES:
        raise EngineUnavailable(
            message=_("Unknown engine %(engine)s; choose one of %(engines)s.")
            % {"engine": engine, "engines": ", ".join(ENGINES)},
            field="engine",
        )
    folder = store_path(region=region, must_exist=True)
    started = time.perf_counter()
    if engine == "duckdb":
        names, rows = _duckdb_run(folder=str(folder), definition=definition)
    else:
        names, rows = _spark_run(folder=str(folder), definition=definition)
    attrition = tuple((name, int(rows[0][index] or 0)) for index, name in enumerate(names))
    total = attrition[-1][1] if attrition else 0
    return CountResult(
        total=total, attrition=attrition, engine=engine, seconds=time.perf_counter() - started
    )


def concepts_find(*, region: str, text: str, limit: int = 20) -> list[ConceptMatch]:
    """Concepts whose name or synonym contains `text` (any case), or whose code is `text`.

    Standard concepts come first; ICD-10 codes and other source concepts are listed so the
    builder can offer them as codes mapped to standard concepts.
    """
    from studienav.counts.concepts import concepts_search

    return concepts_search(region=region, text=text, limit=limit)


# --- DuckDB ---

_duckdb_lock = threading.Lock()


Run = Callable[[str], list[tuple[Any, ...]]]


def _count_rows(
    run: Run, definition: CohortDefinition, dialect: str
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """Resolve the concept sets on the vocabulary first, then run the attrition query."""
    import sqlglot.expressions as exp

    from studienav.counts.compiler import (
        MAX_INLINE_CONCEPTS,
        compile_attrition,
        concept_set_query,
        concept_sets,
    )

    resolved: dict[ConceptSet, tuple[int, ...]] = {}
    for concepts in concept_sets(definition):
        query = (
            exp.select(exp.column("concept_id", "s"))
            .distinct()
            .from_(concept_set_query(concepts).subquery("s"))
            .limit(MAX_INLINE_CONCEPTS + 1)
        )
        resolved[concepts] = tuple(sorted(int(row[0]) for row in run(query.sql(dialect=dialect))))
    steps = compile_attrition(definition, dialect=dialect, resolved=resolved)
    return steps.names, run(steps.sql)


def _duckdb_run(
    *, folder: str, definition: CohortDefinition
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    from studienav.counts.store import store_connect

    with store_connect(folder=folder) as connection:

        def run(sql: str) -> list[tuple[Any, ...]]:
            return connection.execute(sql).fetchall()

        return _count_rows(run, definition, "duckdb")


# --- Spark ---

_spark_lock = threading.Lock()
_spark_session: SparkSession | None = None


def spark_session() -> SparkSession:
    """The process's one Spark session, started on first use from `COUNTS_SPARK_MASTER`."""
    global _spark_session
    with _spark_lock:
        if _spark_session is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError as error:  # pragma: no cover - pyspark is in the lock
                raise EngineUnavailable(
                    message=_("Spark is not installed."), field="engine"
                ) from error
            builder = (
                SparkSession.builder.master(settings.COUNTS_SPARK_MASTER)
                .appName("studienav-counts")
                .config("spark.sql.shuffle.partitions", str(settings.COUNTS_SPARK_PARTITIONS))
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.driver.memory", settings.COUNTS_SPARK_MEMORY)
            )
            try:
                _spark_session = builder.getOrCreate()
            except Exception as error:
                raise EngineUnavailable(
                    message=_("Spark could not start: %(error)s") % {"error": str(error)[:300]},
                    field="engine",
                ) from error
            _spark_session.sparkContext.setLogLevel("ERROR")
            # py4j logs each closed connection at INFO, even after the test's streams are gone.
            logging.getLogger("py4j").setLevel(logging.WARNING)
        return _spark_session


def spark_session_stop() -> None:
    """Stop the process's Spark session if one was started."""
    global _spark_session
    with _spark_lock:
        if _spark_session is not None:
            _spark_session.stop()
            _spark_session = None


def _spark_run(
    *, folder: str, definition: CohortDefinition
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    from studienav.counts.store import spark_views_register

    session = spark_session()
    with _spark_lock:
        spark_views_register(session=session, folder=folder)

        def run(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in session.sql(sql).collect()]

        return _count_rows(run, definition, "spark")
