"""A region's OMOP store: one Parquet file per table, in a folder swapped in whole on each load.

`COUNTS_DATA_DIR/<REGION>` is a symbolic link to the current version in
`COUNTS_DATA_DIR/.versions/`; a load writes a new version and replaces the link in one
atomic rename, so a reader sees the old store or the new one, never half of either.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import sqlglot.expressions as exp
from django.conf import settings
from django.utils.translation import gettext as _

from studienav.core.errors import DomainError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

REGION_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
VERSIONS = ".versions"


class StoreMissing(DomainError):
    """The region has no loaded store."""

    default_code = "store_missing"


@dataclass(frozen=True)
class Column:
    """A column of an OMOP table: name, DuckDB type, and whether a row must have it."""

    name: str
    type: str
    required: bool = False


def _columns(spec: str) -> tuple[Column, ...]:
    # "name:TYPE!" where "!" marks a required column.
    columns = []
    for item in spec.split():
        name, kind = item.split(":")
        columns.append(Column(name=name, type=kind.rstrip("!"), required=kind.endswith("!")))
    return tuple(columns)


# The OMOP CDM 5.4 tables and columns a count may read; other columns of a file are ignored.
TABLES: dict[str, tuple[Column, ...]] = {
    "person": _columns(
        "person_id:BIGINT! gender_concept_id:INTEGER! year_of_birth:INTEGER! "
        "month_of_birth:INTEGER day_of_birth:INTEGER birth_datetime:TIMESTAMP "
        "race_concept_id:INTEGER ethnicity_concept_id:INTEGER location_id:BIGINT "
        "care_site_id:BIGINT person_source_value:VARCHAR gender_source_value:VARCHAR"
    ),
    "observation_period": _columns(
        "observation_period_id:BIGINT person_id:BIGINT! "
        "observation_period_start_date:DATE! observation_period_end_date:DATE! "
        "period_type_concept_id:INTEGER"
    ),
    "condition_occurrence": _columns(
        "condition_occurrence_id:BIGINT person_id:BIGINT! condition_concept_id:INTEGER! "
        "condition_start_date:DATE! condition_end_date:DATE "
        "condition_type_concept_id:INTEGER condition_source_value:VARCHAR "
        "condition_source_concept_id:INTEGER visit_occurrence_id:BIGINT"
    ),
    "condition_era": _columns(
        "condition_era_id:BIGINT person_id:BIGINT! condition_concept_id:INTEGER! "
        "condition_era_start_date:DATE! condition_era_end_date:DATE "
        "condition_occurrence_count:INTEGER"
    ),
    "drug_exposure": _columns(
        "drug_exposure_id:BIGINT person_id:BIGINT! drug_concept_id:INTEGER! "
        "drug_exposure_start_date:DATE! drug_exposure_end_date:DATE "
        "drug_type_concept_id:INTEGER quantity:DOUBLE days_supply:INTEGER "
        "drug_source_value:VARCHAR drug_source_concept_id:INTEGER "
        "visit_occurrence_id:BIGINT"
    ),
    "drug_era": _columns(
        "drug_era_id:BIGINT person_id:BIGINT! drug_concept_id:INTEGER! "
        "drug_era_start_date:DATE! drug_era_end_date:DATE drug_exposure_count:INTEGER "
        "gap_days:INTEGER"
    ),
    "procedure_occurrence": _columns(
        "procedure_occurrence_id:BIGINT person_id:BIGINT! procedure_concept_id:INTEGER! "
        "procedure_date:DATE! procedure_type_concept_id:INTEGER "
        "procedure_source_value:VARCHAR procedure_source_concept_id:INTEGER "
        "visit_occurrence_id:BIGINT"
    ),
    "measurement": _columns(
        "measurement_id:BIGINT person_id:BIGINT! measurement_concept_id:INTEGER! "
        "measurement_date:DATE! measurement_type_concept_id:INTEGER "
        "value_as_number:DOUBLE value_as_concept_id:INTEGER unit_concept_id:INTEGER "
        "range_low:DOUBLE range_high:DOUBLE measurement_source_value:VARCHAR "
        "unit_source_value:VARCHAR visit_occurrence_id:BIGINT"
    ),
    "observation": _columns(
        "observation_id:BIGINT person_id:BIGINT! observation_concept_id:INTEGER! "
        "observation_date:DATE! observation_type_concept_id:INTEGER "
        "value_as_number:DOUBLE value_as_string:VARCHAR value_as_concept_id:INTEGER "
        "unit_concept_id:INTEGER observation_source_value:VARCHAR "
        "visit_occurrence_id:BIGINT"
    ),
    "visit_occurrence": _columns(
        "visit_occurrence_id:BIGINT person_id:BIGINT! visit_concept_id:INTEGER! "
        "visit_start_date:DATE! visit_end_date:DATE visit_type_concept_id:INTEGER "
        "care_site_id:BIGINT visit_source_value:VARCHAR"
    ),
    "death": _columns(
        "person_id:BIGINT! death_date:DATE! death_type_concept_id:INTEGER "
        "cause_concept_id:INTEGER cause_source_value:VARCHAR"
    ),
    "concept": _columns(
        "concept_id:INTEGER! concept_name:VARCHAR! domain_id:VARCHAR "
        "vocabulary_id:VARCHAR! concept_class_id:VARCHAR standard_concept:VARCHAR "
        "concept_code:VARCHAR! valid_start_date:DATE valid_end_date:DATE "
        "invalid_reason:VARCHAR"
    ),
    "concept_ancestor": _columns(
        "ancestor_concept_id:INTEGER! descendant_concept_id:INTEGER! "
        "min_levels_of_separation:INTEGER max_levels_of_separation:INTEGER"
    ),
    "concept_relationship": _columns(
        "concept_id_1:INTEGER! concept_id_2:INTEGER! relationship_id:VARCHAR! "
        "valid_start_date:DATE valid_end_date:DATE invalid_reason:VARCHAR"
    ),
    "concept_synonym": _columns(
        "concept_id:INTEGER! concept_synonym_name:VARCHAR! language_concept_id:INTEGER"
    ),
}

# Row order in the Parquet files. Event tables are sorted by concept first, so that a count
# reads only the row groups of the concepts it asks for (their min/max statistics say which).
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "person": ("person_id",),
    "observation_period": ("person_id", "observation_period_start_date"),
    "condition_occurrence": ("condition_concept_id", "person_id"),
    "condition_era": ("condition_concept_id", "person_id"),
    "drug_exposure": ("drug_concept_id", "person_id"),
    "drug_era": ("drug_concept_id", "person_id"),
    "procedure_occurrence": ("procedure_concept_id", "person_id"),
    "measurement": ("measurement_concept_id", "person_id"),
    "observation": ("observation_concept_id", "person_id"),
    "visit_occurrence": ("visit_concept_id", "person_id"),
    "death": ("person_id",),
}

# A store without these cannot answer anything; the others may be absent and are then empty.
REQUIRED_TABLES = ("person", "observation_period")


def region_check(region: str) -> str:
    """The region code if it is safe as a folder name, else `StoreMissing` naming the field."""
    if not REGION_CODE.match(region or ""):
        raise StoreMissing(
            code="region_invalid",
            message=_("A region code is 1 to 32 letters, digits, '-' or '_'."),
            field="region",
        )
    return region


def data_dir() -> Path:
    """The folder that holds every region's store."""
    return Path(settings.COUNTS_DATA_DIR)


def store_path(*, region: str, must_exist: bool = False) -> Path:
    """The folder of `region`'s current store (resolved through its link)."""
    link = data_dir() / region_check(region)
    if must_exist and not (link / "person.parquet").exists():
        raise StoreMissing(
            message=_("Region %(region)s has no patient data loaded.") % {"region": region},
            field="region",
        )
    return link.resolve() if link.exists() else link


def store_exists(*, region: str) -> bool:
    """Whether `region` has a loaded store."""
    return (data_dir() / region_check(region) / "person.parquet").exists()


def parquet_file(folder: Path | str, table: str) -> str:
    """The path of one table's Parquet file in a store folder."""
    return str(Path(folder) / f"{table}.parquet")


def _view_statement(table: str, path: str) -> str:
    read = exp.func("read_parquet", exp.Literal.string(path))
    statement = exp.Create(
        this=exp.to_table(table),
        kind="VIEW",
        replace=True,
        expression=exp.select(exp.Star()).from_(read),
    )
    return statement.sql(dialect="duckdb")


@contextmanager
def store_connect(*, folder: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with one read-only view per table of the store."""
    connection = duckdb.connect(database=":memory:", config=_duckdb_config())
    try:
        for table in TABLES:
            connection.execute(_view_statement(table, parquet_file(folder, table)))
        yield connection
    finally:
        connection.close()


def _duckdb_config() -> dict[str, str | bool | int | float | list[str]]:
    config: dict[str, str | bool | int | float | list[str]] = {}
    if settings.COUNTS_DUCKDB_THREADS:
        config["threads"] = settings.COUNTS_DUCKDB_THREADS
    return config


_spark_registered: dict[str, str] = {}
_spark_registered_lock = threading.Lock()


def spark_views_register(*, session: SparkSession, folder: Path | str) -> None:
    """Make each table of the store a temporary view of the Spark session (once per version)."""
    real = str(Path(folder).resolve())
    key = str(session.sparkContext.applicationId)
    with _spark_registered_lock:
        if _spark_registered.get(key) == real:
            return
        for table in TABLES:
            session.read.parquet(parquet_file(real, table)).createOrReplaceTempView(table)
        _spark_registered[key] = real
