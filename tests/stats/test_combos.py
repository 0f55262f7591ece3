"""A fact's combination of dimensions (`dims`): written in SQL, read back in Python."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from studienav.stats import combos
from studienav.stats.framework import Filters
from studienav.stats.models import StudyFact
from studienav.stats.refresh import facts_refresh
from tests.stats.conftest import MakeStudy

pytestmark = pytest.mark.django_db

DIMENSION_VALUES = {
    "study_type": ["drug", "observational"],
    "sponsor_type": ["academic", "industry"],
    "phase": ["2", "na"],
    "therapeutic_area": ["", "II", "IX"],
}


def test_the_facts_combination_decodes_to_the_study_s_dimensions(make_study: MakeStudy) -> None:
    made: list[dict[str, Any]] = []
    for values in itertools.product(*DIMENSION_VALUES.values()):
        fields: dict[str, Any] = dict(zip(DIMENSION_VALUES, values, strict=True))
        care = len(made) % 8
        fields.update(
            in_hospital_care=bool(care & 1),
            in_primary_care=bool(care & 2),
            in_dental_care=bool(care & 4),
        )
        made.append(fields)
        make_study(sites=[("03", date(2020, 1, 1))], **fields)
    facts_refresh(full=True)
    decoded = [
        combos.dims_decode(dims)
        for dims in StudyFact.objects.filter(region__isnull=True)
        .order_by("study_id")
        .values_list("dims", flat=True)
    ]
    assert decoded == made


@pytest.mark.parametrize(
    "chosen",
    [
        {"phase": "2"},
        {"study_type": "drug", "therapeutic_area": "II", "care_setting": "primary_care"},
        {"sponsor_type": "industry", "phase": "3", "therapeutic_area": "IX", "study_type": "drug"},
    ],
)
def test_the_filters_allow_exactly_the_combinations_that_match_them(
    chosen: dict[str, Any],
) -> None:
    allowed = set(combos.dims_matching(Filters(**chosen)) or [])
    setting_field = {"primary_care": "in_primary_care"}
    for dims in range(combos.COMBINATIONS):
        decoded = combos.dims_decode(dims)
        fits = all(
            decoded[setting_field[value]] if name == "care_setting" else decoded[name] == value
            for name, value in chosen.items()
        )
        assert (dims in allowed) == fits, (dims, decoded)


def test_no_filter_allows_everything_and_an_unknown_value_nothing() -> None:
    assert combos.dims_matching(Filters()) is None
    assert combos.dims_matching(Filters(phase="9")) == []
