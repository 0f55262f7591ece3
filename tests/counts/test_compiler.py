"""The compiler: one syntax tree, rendered to each dialect, with one attrition row per criterion."""

from __future__ import annotations

import pytest
import sqlglot

from studienav.counts.compiler import (
    DIALECTS,
    OBSERVATION_RULE,
    compile_attrition,
    compile_definition,
)
from studienav.counts.definition import definition_parse

DEFINITION = definition_parse(
    {
        "primary": {
            "domain": "condition",
            "concepts": {"concept_ids": [201826], "icd10_codes": ["E11*"]},
        },
        "observation": {"prior_days": 365},
        "age": {"min": 40},
        "sex": ["male"],
        "inclusions": [
            {
                "domain": "measurement",
                "concepts": {"concept_ids": [3004410]},
                "value": {"min": 48, "max": 200, "unit_concept_ids": [9579]},
                "window": {"start": -365, "end": 0},
            }
        ],
        "exclusions": [{"domain": "drug", "source": "era", "concepts": {"concept_ids": [1502905]}}],
    }
)


def test_attrition_has_one_row_per_step():
    compiled = compile_definition(DEFINITION)
    assert len(compiled.names) == 5


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_renders_sql_that_parses_back(dialect):
    sql = compile_attrition(DEFINITION, dialect=dialect).sql
    assert sqlglot.parse_one(sql, read=dialect) is not None


def test_spark_uses_date_add_and_duckdb_intervals():
    assert "DATE_ADD" in compile_attrition(DEFINITION, dialect="spark").sql
    assert "INTERVAL" in compile_attrition(DEFINITION, dialect="duckdb").sql


def test_icd10_prefix_becomes_a_like_on_icd_concepts():
    sql = compile_attrition(DEFINITION, dialect="duckdb").sql
    assert "LIKE 'E11%'" in sql
    assert "'Maps to'" in sql


def test_label_text_never_reaches_the_sql():
    hostile = definition_parse(
        {
            "primary": {
                "domain": "condition",
                "concepts": {"concept_ids": [1], "label": "x'; DROP TABLE person; --"},
            }
        }
    )
    assert "DROP" not in compile_attrition(hostile, dialect="duckdb").sql


@pytest.mark.usefixtures("english")
def test_the_observation_rule_is_stated():
    assert "observation period" in str(OBSERVATION_RULE)


def test_unknown_dialect_is_refused():
    with pytest.raises(ValueError, match="dialect"):
        compile_attrition(DEFINITION, dialect="oracle")


def test_resolved_concept_sets_are_written_as_literals():
    concepts = DEFINITION.primary.concepts
    assert concepts is not None
    sql = compile_attrition(
        DEFINITION, dialect="duckdb", resolved={concepts: (201826, 4193704)}
    ).sql
    assert "IN (201826, 4193704)" in sql
    assert "codeset_primary" not in sql


def test_a_concept_set_that_resolves_to_nothing_matches_nothing():
    concepts = DEFINITION.primary.concepts
    assert concepts is not None
    sql = compile_attrition(DEFINITION, dialect="spark", resolved={concepts: ()}).sql
    assert "WHERE FALSE" in sql
