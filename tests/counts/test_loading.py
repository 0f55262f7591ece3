"""Loading OMOP files into a region's store: checked, named errors, all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from django.test import override_settings

from studienav.counts.loading import LoadFailed, counts_load
from studienav.counts.store import TABLES, StoreMissing, store_path

PERSON = "person_id,gender_concept_id,year_of_birth\n1,8507,1950\n2,8532,1980\n"
PERIOD = (
    "observation_period_id,person_id,observation_period_start_date,observation_period_end_date\n"
    "1,1,2010-01-01,2020-12-31\n2,2,20150101,2020-12-31\n"
)


@pytest.fixture
def data_dir(tmp_path: Path):
    with override_settings(COUNTS_DATA_DIR=tmp_path / "store"):
        yield tmp_path / "store"


def one(sql: str) -> tuple:
    row = duckdb.connect().execute(sql).fetchone()
    assert row is not None
    return row


def source(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "source"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_lower_case_headers_and_compact_dates_load(tmp_path, data_dir):
    result = counts_load(
        region="05",
        source_dir=source(tmp_path, **{"person.csv": PERSON, "observation_period.csv": PERIOD}),
    )
    assert result.rows["person"] == 2
    assert "drug_exposure" in result.absent
    dates = one(
        "SELECT max(observation_period_start_date) "
        f"FROM read_parquet('{store_path(region='05')}/observation_period.parquet')"
    )
    assert str(dates[0]) == "2015-01-01"


def test_absent_tables_become_empty_with_their_columns(tmp_path, data_dir):
    counts_load(
        region="05",
        source_dir=source(
            tmp_path, **{"PERSON.csv": PERSON.upper(), "OBSERVATION_PERIOD.csv": PERIOD.upper()}
        ),
    )
    folder = store_path(region="05")
    columns = [
        row[0]
        for row in duckdb.connect()
        .execute(f"DESCRIBE SELECT * FROM read_parquet('{folder}/measurement.parquet')")
        .fetchall()
    ]
    assert columns == [c.name for c in TABLES["measurement"]]


def test_upper_case_headers_of_the_eunomia_sample_load(eunomia_store, counts_data_dir):
    rows = one(
        f"SELECT count(*) FROM read_parquet('{counts_data_dir / eunomia_store}/person.parquet')"
    )
    assert rows[0] == 2694


def test_bad_value_names_file_line_and_column(tmp_path, data_dir):
    bad = PERSON + "3,8507,nineteen-fifty\n"
    with pytest.raises(LoadFailed) as raised:
        counts_load(
            region="05",
            source_dir=source(tmp_path, **{"person.csv": bad, "observation_period.csv": PERIOD}),
        )
    assert raised.value.file == "person.csv"
    assert raised.value.line == 4
    assert raised.value.column == "year_of_birth"


def test_bad_date_names_its_line(tmp_path, data_dir):
    bad = PERIOD + "3,2,2020-13-45,2021-01-01\n"
    with pytest.raises(LoadFailed) as raised:
        counts_load(
            region="05",
            source_dir=source(tmp_path, **{"person.csv": PERSON, "observation_period.csv": bad}),
        )
    assert (raised.value.file, raised.value.line, raised.value.column) == (
        "observation_period.csv",
        4,
        "observation_period_start_date",
    )


def test_missing_required_value_is_refused(tmp_path, data_dir):
    bad = PERSON + "3,,1970\n"
    with pytest.raises(LoadFailed) as raised:
        counts_load(
            region="05",
            source_dir=source(tmp_path, **{"person.csv": bad, "observation_period.csv": PERIOD}),
        )
    assert raised.value.column == "gender_concept_id"


def test_missing_required_column_is_refused(tmp_path, data_dir):
    with pytest.raises(LoadFailed) as raised:
        counts_load(
            region="05",
            source_dir=source(
                tmp_path,
                **{
                    "person.csv": "person_id,year_of_birth\n1,1950\n",
                    "observation_period.csv": PERIOD,
                },
            ),
        )
    assert raised.value.column == "gender_concept_id"


def test_missing_person_table_is_refused(tmp_path, data_dir):
    with pytest.raises(LoadFailed):
        counts_load(region="05", source_dir=source(tmp_path, **{"observation_period.csv": PERIOD}))


def test_failed_load_keeps_the_previous_store_whole(tmp_path, data_dir):
    good = source(tmp_path, **{"person.csv": PERSON, "observation_period.csv": PERIOD})
    counts_load(region="05", source_dir=good)
    before = store_path(region="05")
    (good / "person.csv").write_text(PERSON + "x,8507,1950\n")
    with pytest.raises(LoadFailed):
        counts_load(region="05", source_dir=good)
    assert store_path(region="05") == before
    rows = one(f"SELECT count(*) FROM read_parquet('{before}/person.parquet')")
    assert rows[0] == 2
    leftovers = [p for p in (data_dir / ".versions").iterdir() if p != before]
    assert leftovers == []


def test_reload_swaps_in_the_new_store(tmp_path, data_dir):
    folder = source(tmp_path, **{"person.csv": PERSON, "observation_period.csv": PERIOD})
    counts_load(region="05", source_dir=folder)
    (folder / "person.csv").write_text(PERSON + "3,8507,1990\n")
    counts_load(region="05", source_dir=folder)
    rows = one(f"SELECT count(*) FROM read_parquet('{store_path(region='05')}/person.parquet')")
    assert rows[0] == 3
    assert (data_dir / "05").is_symlink()


def test_parquet_files_load(tmp_path, data_dir, eunomia_store, counts_data_dir):
    folder = tmp_path / "parquet"
    folder.mkdir()
    for table in ("person", "observation_period", "condition_era"):
        shutil.copy(
            counts_data_dir / eunomia_store / f"{table}.parquet", folder / f"{table}.parquet"
        )
    result = counts_load(region="06", source_dir=folder)
    assert result.rows["condition_era"] > 60_000


def test_region_code_that_is_a_path_is_refused(tmp_path, data_dir):
    with pytest.raises(StoreMissing) as raised:
        counts_load(region="../x", source_dir=tmp_path)
    assert getattr(raised.value, "code", "") == "region_invalid"
