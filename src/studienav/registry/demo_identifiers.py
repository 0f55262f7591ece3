"""Identifiers for demo studies in the shapes the registries use, each one unique.

The ethics case number (`2021-01234-01`, or a regional board's `2016/345-1` before 2019), an NCT
number near where ClinicalTrials.gov was that year, and for drug trials an EU CT number (from
2023) or an EudraCT number (before). Numbers come from a study's serial, scrambled within the
range a register uses in a year, so two studies never share one, across runs too.
"""

from __future__ import annotations

import random
from datetime import date

from studienav.registry.models import IdentifierScheme, StudyType

_STRIDE = 7919  # a prime: multiplying by it mod a span not divisible by it permutes the span
_NCT_BASE_YEAR, _NCT_BASE, _NCT_PER_YEAR = 2016, 2_650_000, 520_000


def _serial(index: int, *, low: int, common: int, high: int, rounds: int) -> tuple[int, int]:
    """A number in [low, high) and a round for each index, never the same pair twice.

    The first `common - low` indices get numbers in [low, common), the range real registers
    use in a year, in a scrambled order; later ones the rest of the range, round by round.
    """
    first = common - low
    if index < first:
        return low + (index * _STRIDE) % first, 0
    rest = high - common
    round_, position = divmod(index - first, rest)
    if round_ >= rounds:
        raise OverflowError(f"no serial left for index {index}")
    return common + (position * _STRIDE) % rest, round_


def _check(number: int, round_: int) -> int:
    """Two check digits: different for every round of the same number."""
    return (round_ * 7 + number * 13) % 100


def ethics_number(index: int, year: int) -> str:
    """The Swedish Ethical Review Authority's `2021-01234-01`, or a regional board's
    `2016/345-1` before 2019."""
    if year >= 2019:
        number, round_ = _serial(index, low=100, common=8000, high=100_000, rounds=99)
        return f"{year}-{number:05d}-{round_ + 1:02d}"
    number, round_ = _serial(index, low=100, common=900, high=100_000, rounds=99)
    return f"{year}/{number}-{round_ + 1}"


def nct_number(index: int, year: int) -> str | None:
    """`NCT0` and seven digits near where ClinicalTrials.gov was in that year; None when the
    year's range is used up."""
    if index >= _NCT_PER_YEAR:
        return None
    number = _NCT_BASE + (year - _NCT_BASE_YEAR) * _NCT_PER_YEAR
    return f"NCT{number + (index * _STRIDE) % _NCT_PER_YEAR:08d}"


def eu_ct_number(index: int, year: int) -> str:
    """A CTIS number, `2023-501234-12-00` (CTIS opened in 2023)."""
    number, round_ = _serial(index, low=0, common=30_000, high=100_000, rounds=100)
    return f"{year}-5{number:05d}-{_check(number, round_):02d}-00"


def eudract_number(index: int, year: int) -> str:
    """An EudraCT number, `2015-001234-56`, for drug trials applied for before CTIS."""
    number, round_ = _serial(index, low=100, common=6000, high=1_000_000, rounds=100)
    return f"{year}-{number:06d}-{_check(number, round_):02d}"


def identifiers_draw(
    rng: random.Random,
    *,
    index: int,
    study_type: str,
    industry: bool,
    applied: date,
    registered: date,
) -> list[tuple[str, str]]:
    """The ethics case number first (every Swedish study has one), then NCT, EU CT or EudraCT."""
    found: list[tuple[str, str]] = [(IdentifierScheme.ETHICS, ethics_number(index, applied.year))]
    shares: dict[str, float] = {StudyType.DRUG: 0.7, StudyType.DEVICE: 0.4}
    share = 1.0 if industry else shares.get(study_type, 0.3)
    if rng.random() < share:
        nct = nct_number(index, registered.year)
        if nct is not None:
            found.append((IdentifierScheme.NCT, nct))
    if study_type == StudyType.DRUG:
        if applied.year >= 2023:
            found.append((IdentifierScheme.EU_CT, eu_ct_number(index, applied.year)))
        else:
            found.append((IdentifierScheme.EUDRACT, eudract_number(index, applied.year)))
    return found
