"""ATLAS/Circe cohort definitions: imported into ours, checked against duckcdm, exported back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from studienav.counts.circe import CirceUnsupported, definition_load, definition_to_circe
from studienav.counts.engines import count
from studienav.counts.store import TABLES


def concept_set(
    number: int, concept_id: int, name: str, descendants: bool = True
) -> dict[str, Any]:
    return {
        "id": number,
        "name": name,
        "expression": {
            "items": [
                {
                    "concept": {"CONCEPT_ID": concept_id, "CONCEPT_NAME": name},
                    "includeDescendants": descendants,
                    "isExcluded": False,
                    "includeMapped": False,
                }
            ]
        },
    }


OA_CELECOXIB: dict[str, Any] = {
    "ConceptSets": [concept_set(0, 80180, "Osteoarthritis"), concept_set(1, 1118084, "Celecoxib")],
    "PrimaryCriteria": {
        "CriteriaList": [{"ConditionEra": {"CodesetId": 0}}],
        "ObservationWindow": {"PriorDays": 0, "PostDays": 0},
        "PrimaryCriteriaLimit": {"Type": "First"},
    },
    "QualifiedLimit": {"Type": "First"},
    "ExpressionLimit": {"Type": "First"},
    "InclusionRules": [
        {
            "name": "Women 40-65",
            "expression": {
                "Type": "ALL",
                "CriteriaList": [],
                "DemographicCriteriaList": [
                    {
                        "Age": {"Value": 40, "Extent": 65, "Op": "bt"},
                        "Gender": [{"CONCEPT_ID": 8532}],
                    }
                ],
                "Groups": [],
            },
        },
        {
            "name": "Celecoxib within 30 days",
            "expression": {
                "Type": "ALL",
                "CriteriaList": [
                    {
                        "Criteria": {"DrugEra": {"CodesetId": 1}},
                        "StartWindow": {
                            "Start": {"Days": 0, "Coeff": 1},
                            "End": {"Days": 30, "Coeff": 1},
                        },
                        "Occurrence": {"Type": 2, "Count": 1},
                    }
                ],
                "DemographicCriteriaList": [],
                "Groups": [],
            },
        },
    ],
    "CensoringCriteria": [],
    "CollapseSettings": {"CollapseType": "ERA", "EraPad": 0},
}


def duckcdm_count(folder: Path, expression: dict[str, Any]) -> int:
    """Persons in the cohort as duckdcm's port of Circe generates it, on DuckDB."""
    from duckcdm.circe import build_cohort_query
    from duckcdm.sqlrender import render, split_sql, translate

    sql = build_cohort_query(
        json.dumps(expression),
        cdm_schema="main",
        target_table="main.cohort",
        cohort_id=1,
        vocabulary_schema="main",
        result_schema="main",
        generate_stats=False,
    )
    connection = duckdb.connect()
    for table in TABLES:
        connection.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{folder / table}.parquet')"
        )
    connection.execute(
        "CREATE TABLE visit_detail (visit_detail_id BIGINT, person_id BIGINT, "
        "visit_detail_concept_id INTEGER, "
        "visit_detail_start_date DATE, visit_detail_end_date DATE, visit_occurrence_id BIGINT)"
    )
    connection.execute(
        "CREATE TABLE cohort (cohort_definition_id INTEGER, subject_id BIGINT, "
        "cohort_start_date DATE, cohort_end_date DATE)"
    )
    for statement in split_sql(translate(render(sql), "duckdb")):
        if statement.strip():
            connection.execute(statement)
    row = connection.execute("SELECT count(DISTINCT subject_id) FROM cohort").fetchone()
    return int(row[0]) if row else -1


def test_circe_definition_is_told_apart_by_content():
    loaded = definition_load(json.dumps(OA_CELECOXIB))
    assert loaded.format == "circe"
    assert loaded.definition.age is not None and loaded.definition.age.min == 40
    assert loaded.definition.sex == ("female",)


def test_our_definition_is_told_apart_by_content():
    assert definition_load({"age": {"min": 18}}).format == "studienav"


def test_webapi_cohort_with_expression_as_text_is_read():
    loaded = definition_load({"name": "OA", "expression": json.dumps(OA_CELECOXIB)})
    assert loaded.definition.title == "OA"


def test_imported_circe_counts_as_duckcdm_does_on_eunomia(eunomia_store, counts_data_dir):
    ours = count(region=eunomia_store, definition=definition_load(OA_CELECOXIB).definition).total
    assert ours == duckcdm_count(counts_data_dir / eunomia_store, OA_CELECOXIB)
    assert ours > 0


def test_exported_definition_counts_the_same_in_duckcdm(eunomia_store, counts_data_dir):
    definition = definition_load(
        {
            "primary": {
                "domain": "condition",
                "source": "era",
                "concepts": {"concept_ids": [80180]},
            },
            "observation": {"prior_days": 365},
            "age": {"min": 40},
            "sex": ["male"],
            "inclusions": [
                {
                    "domain": "drug",
                    "source": "era",
                    "concepts": {"concept_ids": [1118084]},
                    "window": {"start": -30, "end": 30},
                }
            ],
            "exclusions": [
                {"domain": "condition", "source": "era", "concepts": {"concept_ids": [192671]}}
            ],
        }
    ).definition
    exported = definition_to_circe(definition)
    ours = count(region=eunomia_store, definition=definition).total
    assert ours == duckcdm_count(counts_data_dir / eunomia_store, exported)
    assert definition_load(exported).definition.canonical() == definition.canonical()


def test_nested_groups_are_refused_naming_the_part():
    data = json.loads(json.dumps(OA_CELECOXIB))
    data["InclusionRules"][1]["expression"]["Groups"] = [{"Type": "ANY", "CriteriaList": []}]
    with pytest.raises(CirceUnsupported) as raised:
        definition_load(data)
    assert raised.value.field == "InclusionRules.1.expression.Groups"


def test_all_events_limit_is_refused():
    data = json.loads(json.dumps(OA_CELECOXIB))
    data["PrimaryCriteria"]["PrimaryCriteriaLimit"] = {"Type": "All"}
    with pytest.raises(CirceUnsupported) as raised:
        definition_load(data)
    assert "PrimaryCriteriaLimit" in (raised.value.field or "")


def test_unknown_criterion_attribute_is_refused():
    data = json.loads(json.dumps(OA_CELECOXIB))
    data["PrimaryCriteria"]["CriteriaList"][0]["ConditionEra"]["EraLength"] = {
        "Value": 30,
        "Op": "gt",
    }
    with pytest.raises(CirceUnsupported) as raised:
        definition_load(data)
    assert (raised.value.field or "").endswith("EraLength")


def test_collapse_settings_are_noted_as_ignored():
    assert any("CollapseSettings" in note for note in definition_load(OA_CELECOXIB).notes)


def test_icd10_codes_cannot_be_exported():
    definition = definition_load(
        {"primary": {"domain": "condition", "concepts": {"icd10_codes": ["K92.2"]}}}
    ).definition
    with pytest.raises(CirceUnsupported):
        definition_to_circe(definition)


def test_malformed_circe_is_refused_cleanly():
    with pytest.raises(CirceUnsupported):
        definition_load(
            {"PrimaryCriteria": {"CriteriaList": [{"ConditionEra": "x"}]}, "ConceptSets": "y"}
        )
