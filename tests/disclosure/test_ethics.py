"""Ethical Review Authority case numbers: what a request accepts, and what it refuses."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studienav.core.errors import ValidationFailed
from studienav.disclosure.ethics import case_number_clean


@pytest.mark.parametrize(
    ("given_number", "kept"),
    [
        ("2023-01234-01", "2023-01234-01"),
        (" 2023-01234-01 ", "2023-01234-01"),
        ("Dnr 2019-01234", "DNR 2019-01234"),
        ("dnr 2023-01234-02", "2023-01234-02"),
        ("2016/345-31", "2016/345-31"),
    ],
)
def test_accepted_case_numbers_are_kept_in_one_spelling(given_number: str, kept: str) -> None:
    assert case_number_clean(given_number) == kept


@pytest.mark.parametrize(
    "bad",
    ["", "2023-1234-01", "20230123401", "EPN 2023-01234-01", "2023-01234-1", "abc"],
)
def test_malformed_case_numbers_are_refused_on_the_case_number_field(bad: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        case_number_clean(bad)
    assert error.value.field == "case_number"
    assert error.value.code == "ethics_number_format"


def test_the_authoritys_numbers_start_in_2019() -> None:
    with pytest.raises(ValidationFailed) as error:
        case_number_clean("2018-01234-01")
    assert error.value.code == "ethics_number_authority_year"


def test_regional_boards_decided_until_2018() -> None:
    with pytest.raises(ValidationFailed) as error:
        case_number_clean("2020/345-31")
    assert error.value.code == "ethics_number_board_year"


def test_a_case_cannot_be_opened_after_its_decision() -> None:
    with pytest.raises(ValidationFailed) as error:
        case_number_clean("2024-01234-01", decided_on=date(2023, 5, 1))
    assert error.value.code == "ethics_number_after_decision"


@given(
    year=st.integers(min_value=2019, max_value=2025),
    number=st.integers(min_value=0, max_value=99999),
    amendment=st.integers(min_value=0, max_value=99),
)
def test_every_well_formed_authority_number_is_accepted(
    year: int, number: int, amendment: int
) -> None:
    value = f"{year}-{number:05d}-{amendment:02d}"
    assert case_number_clean(value) == value


@given(st.text(max_size=30))
def test_any_text_is_either_accepted_or_refused_with_a_field(text: str) -> None:
    field = "case_number"
    try:
        case_number_clean(text)
    except ValidationFailed as error:
        field = error.field or ""
    assert field == "case_number"
