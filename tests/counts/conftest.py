"""Fixtures of the counts tests: a region store loaded from the Eunomia sample, once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.test import override_settings

EUNOMIA = Path("/work/shared/data/omop-eunomia")
EUNOMIA_REGION = "03"


@pytest.fixture(scope="session")
def counts_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """COUNTS_DATA_DIR for the whole session, in a temporary folder."""
    folder = tmp_path_factory.mktemp("counts-data")
    with override_settings(COUNTS_DATA_DIR=folder, COUNTS_DUCKDB_THREADS=1):
        yield folder


@pytest.fixture(scope="session")
def eunomia_store(counts_data_dir: Path) -> str:
    """The region code of a store loaded from the Eunomia sample (2,694 persons)."""
    from studienav.counts.loading import counts_load

    counts_load(region=EUNOMIA_REGION, source_dir=EUNOMIA)
    return EUNOMIA_REGION


@pytest.fixture(scope="session")
def eunomia_sql(eunomia_store: str, counts_data_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A plain DuckDB connection over the Eunomia store, for counts written by hand."""
    from studienav.counts.store import TABLES

    connection = duckdb.connect()
    folder = counts_data_dir / eunomia_store
    for table in TABLES:
        connection.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{folder / table}.parquet')"
        )
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def spark_ready() -> Iterator[None]:
    """Start the process's Spark session once for the tests that use it, and stop it at the end."""
    from studienav.counts import engines

    with override_settings(COUNTS_SPARK_PARTITIONS=2):
        engines.spark_session()
        yield
        engines.spark_session_stop()


# --- Privacy, federation and staff pages ---


@pytest.fixture
def people() -> list[Any]:
    """A generated population of 2,000 persons (tests/counts/population.py)."""
    from tests.counts.population import population_make

    return population_make()


@pytest.fixture
def counter(people: list[Any]) -> Any:
    """An exact count function over `people`, passed to protected_count as `count_fn`."""
    from tests.counts.population import PopulationCounter

    return PopulationCounter(people)


@pytest.fixture
def olle(db: None, uppsala: Any) -> Any:
    """Data-disclosure officer of Region Uppsala."""
    from studienav.core.models import Role
    from tests.factories import RoleFactory, UserFactory

    user = UserFactory.create(email="olle@test.example", full_name="Olle Sjögren")
    RoleFactory.create(user=user, role=Role.DISCLOSURE_OFFICER, region=uppsala)
    return user
