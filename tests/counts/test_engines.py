"""Counts on the Eunomia sample equal counts written by hand in plain SQL, on both engines."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from studienav.counts.definition import definition_parse
from studienav.counts.engines import ENGINES, EngineUnavailable, count
from studienav.counts.store import StoreMissing

OSTEOARTHRITIS = 80180
SINUSITIS = 4283893  # four descendants in the sample
GI_BLEED = 192671
CELECOXIB = 1118084
DICLOFENAC = 1124300

IN_OBSERVATION = """
    JOIN observation_period op ON op.person_id = e.person_id
     AND e.{start} BETWEEN op.observation_period_start_date AND op.observation_period_end_date
"""


def first_events(table: str, concept: str, start: str, ids_sql: str, prior: int = 0) -> str:
    """Each person's first event of the concepts inside an observation period (plain SQL)."""
    return f"""
        SELECT e.person_id, MIN(e.{start}) AS index_date
        FROM {table} e {IN_OBSERVATION.format(start=start)}
        WHERE e.{concept} IN ({ids_sql})
          AND e.{start} >= op.observation_period_start_date + {prior}
        GROUP BY e.person_id
    """


def era_index(ids_sql: str, prior: int = 0) -> str:
    """Each person's first condition era of the concepts inside observation (plain SQL)."""
    return first_events(
        "condition_era", "condition_concept_id", "condition_era_start_date", ids_sql, prior
    )


def scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(params=ENGINES, scope="module")
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "spark":
        request.getfixturevalue("spark_ready")
    return str(request.param)


def run(region: str, engine: str, data: dict[str, Any]) -> tuple[int, tuple[int, ...]]:
    result = count(region=region, definition=definition_parse(data), engine=engine)
    assert result.engine == engine
    return result.total, tuple(n for _, n in result.attrition)


def test_condition_with_descendants_counts_persons_with_any_descendant(
    eunomia_store, eunomia_sql, engine
):
    total, _ = run(
        eunomia_store,
        engine,
        {
            "primary": {
                "domain": "condition",
                "source": "era",
                "concepts": {"concept_ids": [SINUSITIS]},
            }
        },
    )
    descendants = "SELECT descendant_concept_id FROM concept_ancestor WHERE ancestor_concept_id = "
    descendants += str(SINUSITIS)
    expected = scalar(
        eunomia_sql,
        f"SELECT count(*) FROM ({era_index(descendants)})",
    )
    only_itself = scalar(
        eunomia_sql,
        f"SELECT count(*) FROM ({era_index(str(SINUSITIS))})",
    )
    assert total == expected
    assert total > only_itself


def test_condition_without_descendants_counts_the_concept_only(eunomia_store, eunomia_sql, engine):
    total, _ = run(
        eunomia_store,
        engine,
        {
            "primary": {
                "domain": "condition",
                "source": "era",
                "concepts": {"concept_ids": [SINUSITIS], "descendants": False},
            }
        },
    )
    expected = scalar(
        eunomia_sql,
        f"SELECT count(*) FROM ({era_index(str(SINUSITIS))})",
    )
    assert total == expected


def test_age_and_sex_at_the_first_event(eunomia_store, eunomia_sql, engine):
    total, attrition = run(
        eunomia_store,
        engine,
        {
            "primary": {
                "domain": "condition",
                "source": "era",
                "concepts": {"concept_ids": [OSTEOARTHRITIS]},
            },
            "age": {"min": 40, "max": 65},
            "sex": ["female"],
        },
    )
    index = first_events(
        "condition_era", "condition_concept_id", "condition_era_start_date", str(OSTEOARTHRITIS)
    )
    expected = scalar(
        eunomia_sql,
        f"""
        SELECT count(*) FROM ({index}) i JOIN person p USING (person_id)
        WHERE year(i.index_date) - p.year_of_birth BETWEEN 40 AND 65 AND p.gender_concept_id = 8532
        """,
    )
    assert total == expected
    assert len(attrition) == 3
    assert attrition[0] >= attrition[1] >= attrition[2] == total


def test_drug_within_30_days_after_the_diagnosis(eunomia_store, eunomia_sql, engine):
    total, attrition = run(
        eunomia_store,
        engine,
        {
            "primary": {
                "domain": "condition",
                "source": "era",
                "concepts": {"concept_ids": [OSTEOARTHRITIS]},
            },
            "inclusions": [
                {
                    "domain": "drug",
                    "source": "era",
                    "concepts": {"concept_ids": [CELECOXIB]},
                    "window": {"start": 0, "end": 30},
                }
            ],
        },
    )
    expected = scalar(
        eunomia_sql,
        f"""
        WITH idx AS (
          SELECT e.person_id, e.condition_era_start_date AS index_date,
                 op.observation_period_start_date AS op_start,
                 op.observation_period_end_date AS op_end,
                 row_number() OVER (
                   PARTITION BY e.person_id ORDER BY e.condition_era_start_date) AS n
          FROM condition_era e {IN_OBSERVATION.format(start="condition_era_start_date")}
          WHERE e.condition_concept_id IN (
            SELECT descendant_concept_id FROM concept_ancestor
            WHERE ancestor_concept_id = {OSTEOARTHRITIS})
        )
        SELECT count(*) FROM idx WHERE n = 1 AND EXISTS (
          SELECT 1 FROM drug_era d
          WHERE d.person_id = idx.person_id
            AND d.drug_concept_id IN (
              SELECT descendant_concept_id FROM concept_ancestor
              WHERE ancestor_concept_id = {CELECOXIB})
            AND d.drug_era_start_date BETWEEN idx.index_date AND idx.index_date + 30
            AND d.drug_era_start_date BETWEEN idx.op_start AND idx.op_end)
        """,
    )
    assert total == expected
    assert 0 < total < attrition[0]


def test_icd10_code_maps_to_the_standard_concept(eunomia_store, engine):
    by_code = run(
        eunomia_store,
        engine,
        {
            "primary": {
                "domain": "condition",
                "source": "era",
                "concepts": {"icd10_codes": ["K92.2"]},
            }
        },
    )
    by_concept = run(
        eunomia_store,
        engine,
        {
            "primary": {
                "domain": "condition",
                "source": "era",
                "concepts": {"concept_ids": [GI_BLEED]},
            }
        },
    )
    assert by_code == by_concept
    assert by_code[0] > 0


def test_exclusion_removes_persons_with_the_event(eunomia_store, eunomia_sql, engine):
    total, attrition = run(
        eunomia_store,
        engine,
        {
            "primary": {
                "domain": "condition",
                "source": "era",
                "concepts": {"concept_ids": [OSTEOARTHRITIS]},
            },
            "exclusions": [
                {"domain": "drug", "source": "era", "concepts": {"concept_ids": [DICLOFENAC]}}
            ],
        },
    )
    index = first_events(
        "condition_era", "condition_concept_id", "condition_era_start_date", str(OSTEOARTHRITIS)
    )
    expected = scalar(
        eunomia_sql,
        f"""
        SELECT count(*) FROM ({index}) i
        JOIN observation_period op ON op.person_id = i.person_id
         AND i.index_date
             BETWEEN op.observation_period_start_date AND op.observation_period_end_date
        WHERE NOT EXISTS (
          SELECT 1 FROM drug_era d
          WHERE d.person_id = i.person_id AND d.drug_concept_id = {DICLOFENAC}
            AND d.drug_era_start_date
                BETWEEN op.observation_period_start_date AND op.observation_period_end_date)
        """,
    )
    assert total == expected
    assert total < attrition[0]


def test_required_prior_observation_narrows_the_index_events(eunomia_store, eunomia_sql, engine):
    total, _ = run(
        eunomia_store,
        engine,
        {
            "primary": {
                "domain": "condition",
                "source": "era",
                "concepts": {"concept_ids": [GI_BLEED]},
            },
            "observation": {"prior_days": 365},
        },
    )
    expected = scalar(
        eunomia_sql,
        f"SELECT count(*) FROM ({era_index(str(GI_BLEED), prior=365)})",
    )
    assert total == expected


def test_procedure_at_least_twice_in_observation(eunomia_store, eunomia_sql, engine):
    procedure = 4125906
    total, _ = run(
        eunomia_store,
        engine,
        {
            "inclusions": [
                {
                    "domain": "procedure",
                    "concepts": {"concept_ids": [procedure], "descendants": False},
                    "min_count": 2,
                }
            ],
        },
    )
    expected = scalar(
        eunomia_sql,
        f"""
        WITH idx AS (
          SELECT person_id, observation_period_start_date AS op_start,
                 observation_period_end_date AS op_end,
                 row_number() OVER (
                   PARTITION BY person_id ORDER BY observation_period_start_date) AS n
          FROM observation_period)
        SELECT count(*) FROM idx WHERE n = 1 AND (
          SELECT count(*) FROM procedure_occurrence e WHERE e.person_id = idx.person_id
            AND e.procedure_concept_id = {procedure}
            AND e.procedure_date BETWEEN idx.op_start AND idx.op_end) >= 2
        """,
    )
    assert total == expected


def test_both_engines_agree_on_a_whole_attrition(eunomia_store, spark_ready):
    data = {
        "primary": {
            "domain": "condition",
            "source": "era",
            "concepts": {"concept_ids": [OSTEOARTHRITIS]},
        },
        "age": {"min": 30},
        "sex": ["male"],
        "inclusions": [
            {
                "domain": "drug",
                "source": "era",
                "concepts": {"concept_ids": [CELECOXIB]},
                "window": {"start": -30},
            }
        ],
        "exclusions": [
            {"domain": "condition", "source": "era", "concepts": {"icd10_codes": ["K92*"]}}
        ],
    }
    assert run(eunomia_store, "duckdb", data) == run(eunomia_store, "spark", data)


def test_unknown_engine_is_refused(eunomia_store):
    with pytest.raises(EngineUnavailable) as raised:
        count(region=eunomia_store, definition=definition_parse({}), engine="oracle")
    assert raised.value.field == "engine"


def test_region_without_store_is_refused(counts_data_dir):
    with pytest.raises(StoreMissing):
        count(region="99", definition=definition_parse({}))


def test_region_code_that_is_a_path_is_refused(counts_data_dir):
    with pytest.raises(StoreMissing) as raised:
        count(region="../03", definition=definition_parse({}))
    assert raised.value.code == "region_invalid"


def test_concepts_are_found_by_name_in_any_case(eunomia_store):
    from studienav.counts.engines import concepts_find

    found = concepts_find(region=eunomia_store, text="GASTROINTESTINAL HEMORRHAGE")
    assert found[0].concept_id == GI_BLEED
    assert found[0].standard


def test_concepts_are_found_by_icd10_code(eunomia_store):
    from studienav.counts.engines import concepts_find

    found = concepts_find(region=eunomia_store, text="k92.2")
    assert found[0].vocabulary == "ICD10CM"
    assert found[0].code == "K92.2"


def test_concept_search_treats_wildcards_as_text(eunomia_store):
    from studienav.counts.engines import concepts_find

    assert concepts_find(region=eunomia_store, text="%_%") == []
