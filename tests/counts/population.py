"""A small generated population and an exact count function over it, for the privacy and
attack tests: ages, sexes and conditions, evaluated the way the compiler orders attrition."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from studienav.counts.definition import CohortDefinition, ConceptSet, Criterion
from studienav.counts.engines import CountResult

DIABETES = 201826
HYPERTENSION = 320128
ASTHMA = 317009
RARE = 4000001  # a condition only the target person has


@dataclass
class Person:
    person_id: int
    age: int
    sex: str
    conditions: set[int] = field(default_factory=set)


def population_make(*, size: int = 2000, seed: int = 7) -> list[Person]:
    """Ages 0-95, half women, diabetes 8 %, hypertension 20 %, asthma 9 %."""
    rng = random.Random(seed)
    people = []
    for person_id in range(1, size + 1):
        conditions = set()
        for concept, share in ((DIABETES, 0.08), (HYPERTENSION, 0.2), (ASTHMA, 0.09)):
            if rng.random() < share:
                conditions.add(concept)
        sex = "female" if rng.random() < 0.5 else "male"
        people.append(Person(person_id, rng.randint(0, 95), sex, conditions))
    return people


def _matches(person: Person, concepts: ConceptSet | None) -> bool:
    if concepts is None:
        return True
    return bool(person.conditions & set(concepts.concept_ids))


def _has(person: Person, criterion: Criterion) -> bool:
    return _matches(person, criterion.concepts)


class PopulationCounter:
    """`count_fn` for `protected_count`: exact counts over the population, with attrition
    rows in the compiler's order (index event, age, sex, inclusions, exclusions)."""

    def __init__(self, people: list[Person]) -> None:
        self.people = people
        self.calls = 0

    def __call__(self, *, region: str, definition: CohortDefinition) -> CountResult:
        self.calls += 1
        primary = definition.primary
        remaining = [
            p for p in self.people if primary.concepts is None or _matches(p, primary.concepts)
        ]
        rows = [("Index event", len(remaining))]
        age = definition.age
        if age is not None and (age.min is not None or age.max is not None):
            low = age.min if age.min is not None else 0
            high = age.max if age.max is not None else 200
            remaining = [p for p in remaining if low <= p.age <= high]
            rows.append(("Age", len(remaining)))
        if definition.sex and len(definition.sex) < 2:
            remaining = [p for p in remaining if p.sex in definition.sex]
            rows.append(("Sex", len(remaining)))
        for criterion in definition.inclusions:
            remaining = [p for p in remaining if _has(p, criterion)]
            rows.append((f"With {criterion.label}", len(remaining)))
        for criterion in definition.exclusions:
            remaining = [p for p in remaining if not _has(p, criterion)]
            rows.append((f"Without {criterion.label}", len(remaining)))
        return CountResult(total=len(remaining), attrition=tuple(rows), engine="test", seconds=0.0)
