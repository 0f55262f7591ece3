"""Synthetic OMOP data: reproducible from the seed, loadable, and shaped like a Swedish region."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from django.test import override_settings

from studienav.counts.definition import definition_parse
from studienav.counts.engines import count
from studienav.counts.loading import counts_load
from studienav.counts.synth import omop_synth

PERSONS = 3000


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    omop_synth(persons=PERSONS, output=folder, seed=5, threads=1)
    return folder


def scalar(sql: str) -> float:
    row = duckdb.connect().execute(sql).fetchone()
    assert row is not None
    return float(row[0])


def digest(folder: Path, table: str) -> str:
    rows = (
        duckdb.connect()
        .execute(f"SELECT * FROM read_parquet('{folder}/{table}.parquet') ORDER BY ALL")
        .fetchall()
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_same_seed_gives_the_same_data(synthetic, tmp_path):
    again = tmp_path / "again"
    omop_synth(persons=PERSONS, output=again, seed=5, threads=2)
    for table in ("person", "condition_occurrence", "drug_exposure", "measurement"):
        assert digest(synthetic, table) == digest(again, table)


def test_another_seed_gives_other_data(synthetic, tmp_path):
    other = tmp_path / "other"
    omop_synth(persons=PERSONS, output=other, seed=6, threads=1)
    assert digest(synthetic, "person") != digest(other, "person")


def test_every_person_has_an_observation_period(synthetic):
    assert scalar(f"SELECT count(*) FROM read_parquet('{synthetic}/person.parquet')") == PERSONS
    assert (
        scalar(
            "SELECT count(DISTINCT person_id) "
            f"FROM read_parquet('{synthetic}/observation_period.parquet')"
        )
        == PERSONS
    )


def test_type_2_diabetes_prevalence_is_near_six_per_cent(synthetic):
    share = scalar(
        f"""SELECT count(DISTINCT person_id) / {PERSONS}
            FROM read_parquet('{synthetic}/condition_occurrence.parquet')
            WHERE condition_concept_id IN (201826, 4193704, 443732)"""
    )
    assert 0.035 < share < 0.085


def test_hba1c_is_in_mmol_per_mol(synthetic):
    units = (
        duckdb.connect()
        .execute(
            "SELECT DISTINCT unit_concept_id "
            f"FROM read_parquet('{synthetic}/measurement.parquet') "
            "WHERE measurement_concept_id = 3004410"
        )
        .fetchall()
    )
    assert units == [(9579,)]


def test_synthetic_data_loads_and_counts_metformin_after_diabetes(synthetic, tmp_path):
    with override_settings(COUNTS_DATA_DIR=tmp_path / "store"):
        counts_load(region="SYN", source_dir=synthetic)
        result = count(
            region="SYN",
            definition=definition_parse(
                {
                    "primary": {"domain": "condition", "concepts": {"concept_ids": [201826]}},
                    "inclusions": [
                        {
                            "domain": "drug",
                            "concepts": {"concept_ids": [1503297]},
                            "window": {"start": 0, "end": 60},
                        }
                    ],
                }
            ),
        )
    diagnosed, treated = result.attrition[0][1], result.total
    assert diagnosed > 0
    assert 0.5 < treated / diagnosed <= 1.0


def test_swedish_synonyms_are_found(synthetic, tmp_path):
    from studienav.counts.engines import concepts_find

    with override_settings(COUNTS_DATA_DIR=tmp_path / "store"):
        counts_load(region="SYN", source_dir=synthetic)
        found = concepts_find(region="SYN", text="förmaksflimmer")
        by_code = concepts_find(region="SYN", text="I48")
    assert found[0].concept_id == 313217
    assert by_code[0].vocabulary == "ICD10"


def test_a_bad_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match="persons"):
        omop_synth(persons=0, output=tmp_path)
