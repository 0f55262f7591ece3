"""Personal identity numbers and coordination numbers: format, date, check digit."""

from __future__ import annotations

import contextlib
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from studienav.participation.identity import (
    InvalidIdentityNumber,
    identity_number_normalise,
    is_coordination_number,
)

TODAY = datetime.date(2026, 1, 15)


def _number(born: datetime.date, serial: int, *, coordination: bool = False) -> str:
    day = born.day + (60 if coordination else 0)
    body = f"{born:%y%m}{day:02d}{serial:03d}"
    return f"{born.year}{body[2:]}{luhn.calc_check_digit(body)}"


@pytest.mark.parametrize(
    "text", ["811218-9876", "8112189876", "19811218-9876", "198112189876", " 811218 - 9876 "]
)
def test_valid_personal_identity_number_in_every_common_form(text: str) -> None:
    assert identity_number_normalise(text.replace(" - ", "-"), today=TODAY) == "198112189876"


def test_plus_sign_means_aged_one_hundred_or_more() -> None:
    assert identity_number_normalise("121212+1212", today=TODAY).startswith("1912")


def test_coordination_number_adds_sixty_to_the_day() -> None:
    number = _number(datetime.date(1981, 12, 18), 987, coordination=True)
    digits = identity_number_normalise(number, today=TODAY)
    assert is_coordination_number(digits)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("811218-9875", "identity_number_check_digit"),
        ("811318-9876", "identity_number_date"),
        ("811232-9876", "identity_number_date"),
        ("abc", "identity_number_format"),
        ("81121-9876", "identity_number_format"),
        ("20991218-9876", "identity_number_date"),
    ],
)
def test_invalid_numbers_are_explained_without_echoing_them(text: str, code: str) -> None:
    with pytest.raises(InvalidIdentityNumber) as caught:
        identity_number_normalise(text, today=TODAY)
    assert caught.value.code == code
    assert caught.value.field == "identity_number"
    assert text.strip() not in caught.value.message


@given(
    born=st.dates(min_value=datetime.date(1901, 1, 1), max_value=datetime.date(2025, 12, 31)),
    serial=st.integers(min_value=0, max_value=999),
    coordination=st.booleans(),
)
def test_every_number_with_a_right_check_digit_is_valid(
    born: datetime.date, serial: int, coordination: bool
) -> None:
    number = _number(born, serial, coordination=coordination)
    assert identity_number_normalise(number, today=TODAY) == number
    assert is_coordination_number(number) == coordination


@given(
    born=st.dates(min_value=datetime.date(1901, 1, 1), max_value=datetime.date(2025, 12, 31)),
    serial=st.integers(min_value=0, max_value=999),
    wrong=st.integers(min_value=1, max_value=9),
)
def test_every_wrong_check_digit_is_refused(born: datetime.date, serial: int, wrong: int) -> None:
    number = _number(born, serial)
    broken = number[:-1] + str((int(number[-1]) + wrong) % 10)
    with pytest.raises(InvalidIdentityNumber):
        identity_number_normalise(broken, today=TODAY)


@given(st.text(max_size=20))
def test_arbitrary_text_never_raises_anything_but_a_validation_error(text: str) -> None:
    with contextlib.suppress(InvalidIdentityNumber):
        identity_number_normalise(text, today=TODAY)
