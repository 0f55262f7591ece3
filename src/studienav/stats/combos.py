"""One number for a study's dimensions, so that a fact query with several filters is one index seek.

A fact (StudyFact, EnrolmentFact) carries `dims`, the combination of its study type, sponsor
type, phase, therapeutic area and care settings as one integer. A chart with filters reads
the facts whose `dims` is one of the combinations the filters allow, through an index that
leads with `dims` and holds everything the count needs: the few facts that match, whatever
filters were chosen, instead of a scan of every fact with the first filter's value. Grouping
by `dims` and decoding it gives each of the dimensions back, so a breakdown needs no other
column.

Each dimension's values are its choices plus one slot for anything else (a value no longer in
the choices, or a therapeutic area not given); the facts are rebuilt from the registry, so the
numbers follow the choices.
"""

from __future__ import annotations

import itertools
import math
from functools import cache
from typing import Any

from studienav.registry.models import CareSetting, Phase, SponsorType, StudyType, TherapeuticArea

AXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("study_type", tuple(StudyType.values)),
    ("sponsor_type", tuple(SponsorType.values)),
    ("phase", tuple(Phase.values)),
    ("therapeutic_area", ("", *TherapeuticArea.values)),
)
# Care settings as bits of one number (here and in FigureCount.care), and their columns.
CARE_BITS = {CareSetting.HOSPITAL: 1, CareSetting.PRIMARY_CARE: 2, CareSetting.DENTAL_CARE: 4}
CARE_FIELDS = {1: "in_hospital_care", 2: "in_primary_care", 4: "in_dental_care"}
_CARE_WIDTH = 8  # three flags


def _width(values: tuple[str, ...]) -> int:
    return len(values) + 1  # and "anything else"


def _multipliers() -> list[int]:
    """Place values: care in the lowest digit, then the axes from last to first."""
    multipliers = []
    place = _CARE_WIDTH
    for _name, values in reversed(AXES):
        multipliers.append(place)
        place *= _width(values)
    return list(reversed(multipliers))


MULTIPLIERS = _multipliers()
COMBINATIONS = _CARE_WIDTH * math.prod(_width(values) for _name, values in AXES)


def dims_sql(alias: str) -> str:
    """The `dims` of a row of a table with the dimension columns (alias.study_type ...), as SQL."""
    parts = []
    for (name, values), multiplier in zip(AXES, MULTIPLIERS, strict=True):
        cases = " ".join(f"WHEN '{value}' THEN {i}" for i, value in enumerate(values))
        parts.append(f"(CASE {alias}.{name} {cases} ELSE {len(values)} END) * {multiplier}")
    for bit, field in CARE_FIELDS.items():
        parts.append(f"(CASE WHEN {alias}.{field} THEN {bit} ELSE 0 END)")
    return " + ".join(parts)


def _choices(value: str, values: tuple[str, ...]) -> list[int]:
    if not value:
        return list(range(_width(values)))
    return [values.index(value)] if value in values else []


def dims_matching(filters: Any) -> list[int] | None:
    """The combinations the filters allow, or None when no dimension is filtered (all of them)."""
    chosen = [getattr(filters, name, "") for name, _values in AXES]
    care = getattr(filters, "care_setting", "")
    if not any(chosen) and not care:
        return None
    axes = [_choices(value, values) for value, (_name, values) in zip(chosen, AXES, strict=True)]
    bit = next((bit for setting, bit in CARE_BITS.items() if setting == care), 0)
    cares = [c for c in range(_CARE_WIDTH) if c & bit] if care else list(range(_CARE_WIDTH))
    return sorted(
        sum(i * m for i, m in zip(combination, MULTIPLIERS, strict=True)) + c
        for combination in itertools.product(*axes)
        for c in cares
    )


@cache
def dims_decode(dims: int) -> dict[str, Any]:
    """The dimensions of a combination: each axis's value ('' for anything else), care flags."""
    decoded: dict[str, Any] = {}
    for (name, values), multiplier in zip(AXES, MULTIPLIERS, strict=True):
        index = dims // multiplier % _width(values)
        decoded[name] = values[index] if index < len(values) else ""
    for bit, field in CARE_FIELDS.items():
        decoded[field] = bool(dims & bit)
    return decoded
