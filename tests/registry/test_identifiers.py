"""Study identifiers: every scheme's format, years, normalisation, and properties of validate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from studienav.core.errors import ValidationFailed
from studienav.registry.identifiers import normalise, recognise, validate
from studienav.registry.models import IdentifierScheme


@pytest.fixture(autouse=True)
def _in_2025() -> Iterator[None]:
    with time_machine.travel(datetime(2025, 6, 15, 12, tzinfo=UTC), tick=False):
        yield


@pytest.mark.parametrize(
    ("scheme", "value", "expected"),
    [
        ("nct", "NCT02552212", "NCT02552212"),
        ("nct", "nct02552212", "NCT02552212"),
        ("nct", " NCT 0255 2212 ", "NCT02552212"),
        ("eu_ct", "2023-501234-12-00", "2023-501234-12-00"),
        ("eu_ct", "2004-500000-00-00", "2004-500000-00-00"),
        ("eudract", "2004-001234-12", "2004-001234-12"),
        ("eudract", "2015-004962-34 ", "2015-004962-34"),
        ("ethics", "2023-01234-01", "2023-01234-01"),
        ("ethics", "Dnr 2019-01234", "DNR 2019-01234"),
        ("ethics", "dnr: 2019-01234", "DNR 2019-01234"),
        ("ethics", "Dnr 2021-01234-01", "2021-01234-01"),
        ("ethics", "2012/123-31", "2012/123-31"),
        ("ethics", "2008/1-3", "2008/1-3"),
        ("isrctn", "isrctn12345678", "ISRCTN12345678"),
        ("local", "  FoU  2023 /17 ", "FoU 2023 /17"),
        ("other", "UMIN000012345", "UMIN000012345"),
    ],
)
def test_valid_identifiers_are_normalised(scheme: str, value: str, expected: str) -> None:
    assert validate(scheme, value) == expected


@pytest.mark.parametrize(
    ("scheme", "value", "code"),
    [
        ("nct", "NCT0255221", "nct_format"),
        ("nct", "NCT025522123", "nct_format"),
        ("nct", "NTC02552212", "nct_format"),
        ("nct", "02552212", "nct_format"),
        ("eu_ct", "2023-401234-12-00", "eu_ct_format"),
        ("eu_ct", "2023-501234-12", "eu_ct_format"),
        ("eu_ct", "23-501234-12-00", "eu_ct_format"),
        ("eudract", "2004-01234-12", "eudract_format"),
        ("eudract", "2004-001234-123", "eudract_format"),
        ("ethics", "2023-1234-01", "ethics_format"),
        ("ethics", "Dnr 2019-1234", "ethics_format"),
        ("ethics", "2012-123-31", "ethics_format"),
        ("isrctn", "ISRCTN1234567", "isrctn_format"),
        ("nct", "   ", "identifier_empty"),
        ("local", "", "identifier_empty"),
        ("other", "x" * 81, "identifier_too_long"),
    ],
)
def test_invalid_identifiers_are_refused_with_a_code(scheme: str, value: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        validate(scheme, value)
    assert error.value.code == code
    assert error.value.field == "identifier"


def test_format_error_shows_an_example_and_what_was_given() -> None:
    with pytest.raises(ValidationFailed) as error:
        validate("nct", "NCT123")
    assert "NCT01234567" in error.value.message
    assert "NCT123" in error.value.message


@pytest.mark.parametrize(
    ("scheme", "template"),
    [("eu_ct", "{year}-501234-12-00"), ("eudract", "{year}-001234-12")],
)
def test_years_run_from_2004_to_the_current_year(scheme: str, template: str) -> None:
    assert validate(scheme, template.format(year=2004))
    assert validate(scheme, template.format(year=2025))
    for year in (2003, 2026, 1999):
        with pytest.raises(ValidationFailed) as error:
            validate(scheme, template.format(year=year))
        assert error.value.code == f"{scheme}_year"
        assert str(year) in error.value.message


def test_ethics_case_number_from_next_year_is_refused() -> None:
    with pytest.raises(ValidationFailed) as error:
        validate("ethics", "2026-01234-01")
    assert error.value.code == "ethics_year"


def test_the_year_follows_the_calendar() -> None:
    with time_machine.travel(datetime(2026, 1, 2, tzinfo=UTC), tick=False):
        assert validate("eu_ct", "2026-501234-12-00") == "2026-501234-12-00"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nct02552212", ("nct", "NCT02552212")),
        ("ISRCTN12345678", ("isrctn", "ISRCTN12345678")),
        ("2023-501234-12-00", ("eu_ct", "2023-501234-12-00")),
        ("2004-001234-12", ("eudract", "2004-001234-12")),
        ("2023-01234-01", ("ethics", "2023-01234-01")),
        ("Dnr 2019-01234", ("ethics", "DNR 2019-01234")),
        ("2012/123-31", ("ethics", "2012/123-31")),
        ("2030-501234-12-00", None),
        ("hello", None),
        ("", None),
    ],
)
def test_recognise_guesses_the_scheme(value: str, expected: tuple[str, str] | None) -> None:
    assert recognise(value) == expected


schemes = st.sampled_from(IdentifierScheme.values)
# Text near the formats as well as anything at all.
near_formats = st.from_regex(
    r"(?i)\s*(nct|isrctn|dnr\.?:? ?)?\s*[0-9]{2,8}([-/][0-9]{1,6}){0,3}\s*", fullmatch=True
)
texts = st.one_of(st.text(max_size=100), near_formats)


@settings(max_examples=300, deadline=None)
@given(scheme=schemes, value=texts)
def test_validate_raises_nothing_but_validation_failed(scheme: str, value: str) -> None:
    outcome: str | ValidationFailed
    try:
        outcome = validate(scheme, value)
    except ValidationFailed as error:
        outcome = error
    if isinstance(outcome, ValidationFailed):
        assert outcome.code and outcome.message
    else:
        assert isinstance(outcome, str) and outcome


@settings(max_examples=300, deadline=None)
@given(scheme=schemes, value=texts)
def test_validating_a_normalised_identifier_again_gives_it_back(scheme: str, value: str) -> None:
    try:
        result = validate(scheme, value)
    except ValidationFailed:
        return
    assert normalise(scheme, result) == result
    assert validate(scheme, result) == result
    assert validate(scheme, normalise(scheme, value)) == result


@settings(max_examples=200, deadline=None)
@given(value=texts)
def test_recognise_returns_a_valid_identifier_or_none(value: str) -> None:
    found = recognise(value)
    if found is not None:
        scheme, normalised = found
        assert validate(scheme, normalised) == normalised


@pytest.mark.parametrize(
    ("scheme", "value"),
    [("nct", "NCT٠١٢٣٤٥٦٧"), ("eu_ct", "２０２３-501234-12-00"), ("ethics", "٢٠٢٠/1-1")],
)
def test_identifiers_with_digits_of_other_scripts_are_refused(scheme: str, value: str) -> None:
    with pytest.raises(ValidationFailed):
        validate(scheme, value)
