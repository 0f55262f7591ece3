"""Cohort definitions: parsed at the edge, bounded, described in plain language, fingerprinted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studienav.counts.definition import (
    MAX_CONCEPTS,
    MAX_CRITERIA,
    DefinitionInvalid,
    definition_describe,
    definition_fingerprint,
    definition_parse,
)

T2D: dict[str, Any] = {
    "primary": {"domain": "condition", "concepts": {"concept_ids": [201826]}},
    "age": {"min": 40, "max": 75},
    "sex": ["female"],
    "inclusions": [
        {
            "label": "Metformin",
            "domain": "drug",
            "concepts": {"concept_ids": [1503297]},
            "window": {"start": 0, "end": 30},
        }
    ],
}


def test_a_definition_parses_from_json_text():
    definition = definition_parse(json.dumps(T2D))
    assert definition.age is not None and definition.age.max == 75
    assert definition.inclusions[0].window.end == 30


def test_an_empty_definition_counts_everyone_from_their_observation_start():
    definition = definition_parse({})
    assert definition.primary.domain == "observation_period"


def test_bad_window_names_the_field():
    data = {**T2D, "inclusions": [{**T2D["inclusions"][0], "window": {"start": 30, "end": 0}}]}
    with pytest.raises(DefinitionInvalid) as raised:
        definition_parse(data)
    assert raised.value.field == "inclusions.0.window"


def test_unknown_key_is_refused_with_its_path():
    with pytest.raises(DefinitionInvalid) as raised:
        definition_parse({**T2D, "age": {"min": 40, "maximum": 3}})
    assert raised.value.field == "age.maximum"


def test_criterion_without_concepts_is_refused():
    with pytest.raises(DefinitionInvalid) as raised:
        definition_parse({"inclusions": [{"domain": "drug"}]})
    assert raised.value.field == "inclusions.0"


def test_value_range_only_on_measurements_and_observations():
    with pytest.raises(DefinitionInvalid):
        definition_parse(
            {
                "inclusions": [
                    {"domain": "drug", "concepts": {"concept_ids": [1]}, "value": {"min": 1}}
                ]
            }
        )


def test_era_only_for_conditions_and_drugs():
    with pytest.raises(DefinitionInvalid):
        definition_parse(
            {
                "inclusions": [
                    {"domain": "procedure", "source": "era", "concepts": {"concept_ids": [1]}}
                ]
            }
        )


def test_icd10_code_must_look_like_one():
    with pytest.raises(DefinitionInvalid) as raised:
        definition_parse(
            {"primary": {"domain": "condition", "concepts": {"icd10_codes": ["'; DROP"]}}}
        )
    assert raised.value.field == "primary.concepts.icd10_codes"


def test_too_many_criteria_are_refused():
    criterion = {"domain": "drug", "concepts": {"concept_ids": [1]}}
    with pytest.raises(DefinitionInvalid) as raised:
        definition_parse({"inclusions": [criterion] * (MAX_CRITERIA + 1)})
    assert raised.value.field == "inclusions"


def test_too_many_concepts_are_refused():
    with pytest.raises(DefinitionInvalid):
        definition_parse(
            {
                "primary": {
                    "domain": "drug",
                    "concepts": {"concept_ids": list(range(MAX_CONCEPTS + 1))},
                }
            }
        )


def test_huge_text_is_refused_before_parsing():
    with pytest.raises(DefinitionInvalid) as raised:
        definition_parse(" " * 300_000)
    assert raised.value.code == "definition_too_large"


def test_deeply_nested_json_is_refused_cleanly():
    with pytest.raises(DefinitionInvalid):
        definition_parse("[" * 100_000 + "]" * 100_000)


def test_not_json_is_refused():
    with pytest.raises(DefinitionInvalid) as raised:
        definition_parse("{not json")
    assert raised.value.code == "definition_not_json"


def test_fingerprint_ignores_labels_and_concept_order():
    one = definition_parse(T2D)
    other = definition_parse(
        {
            **T2D,
            "title": "another title",
            "primary": {
                "domain": "condition",
                "concepts": {"concept_ids": [201826, 201826], "label": "T2D"},
            },
        }
    )
    assert definition_fingerprint(one) == definition_fingerprint(other)


def test_fingerprint_changes_with_the_meaning():
    one = definition_parse(T2D)
    other = definition_parse({**T2D, "age": {"min": 41, "max": 75}})
    assert definition_fingerprint(one) != definition_fingerprint(other)


def test_description_in_english_and_swedish():
    definition = definition_parse(T2D)
    english = definition_describe(definition, "en")
    swedish = definition_describe(definition, "sv")
    assert any("40 to 75" in line for line in english)
    assert any("Metformin" in line for line in english)
    assert len(swedish) == len(english)


@given(
    st.dictionaries(
        st.text(max_size=10),
        st.recursive(
            st.none() | st.integers() | st.text(max_size=5),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
            max_leaves=10,
        ),
        max_size=5,
    )
)
def test_any_json_object_parses_or_is_refused_with_a_field(data):
    field = "parsed"
    try:
        definition_parse(data)
    except DefinitionInvalid as error:
        field = error.field or ""
    assert field
