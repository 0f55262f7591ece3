"""The arithmetic of protection, free of the database: threshold, sticky bounded noise,
rounding, differential privacy through OpenDP, the narrowness rule and "near-identical".

Sticky noise: the noise added to a count is a function of a region's secret key and the
definition's fingerprint, so the same question always gets the same answer and asking it
again reveals nothing more (the averaging attack gains nothing from repetition).

Near-identical questions (what the lockout counts): two definitions are near-identical when
they have the same index event (domain and concepts) and their criteria differ in at most
one criterion, where numbers are ignored (ages, windows, value ranges, counts, observation
days, sex) and two concept sets are alike when they share a concept id or an ICD-10 code.
That covers the tracker's pairs (one criterion added or dropped), parameter sweeps (the age
range moved by a year) and trivially changed formulations (a concept list with one more id).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from studienav.counts.definition import CohortDefinition, ConceptSet, Criterion


@dataclass(frozen=True)
class Rules:
    """A region's rules, as plain values (from RegionPrivacy, or its defaults)."""

    mode: str = "noise"
    threshold: int = 10
    rounding: int = 1
    noise_sigma: float = 1.33
    noise_clamp: int = 3
    dp_epsilon: float = 0.25
    dp_monthly_budget: float = 1.0
    min_age_span: int = 5
    max_criteria: int = 10
    lockout_questions: int = 6
    lockout_hours: int = 24


def hidden_label(rules: Rules) -> str:
    """What a hidden count is shown as: "<11" for the usual threshold of 10."""
    return f"<{rules.threshold + 1}"


def noise_key(secret: bytes, region_code: str) -> bytes:
    """The region's own noise key, derived from the installation's secret."""
    return hmac.new(secret, b"counts-noise:" + region_code.encode(), hashlib.sha256).digest()


def sticky_noise(*, key: bytes, fingerprint: str, sigma: float, clamp: int) -> int:
    """Gaussian noise with standard deviation `sigma`, rounded, clamped to ±`clamp`, the same
    for the same key and fingerprint (seeded by HMAC(key, fingerprint))."""
    if sigma <= 0 or clamp == 0:
        return 0
    digest = hmac.new(key, fingerprint.encode(), hashlib.sha256).digest()
    # 53 bits give a uniform number strictly inside (0, 1) for the inverse of the normal CDF.
    uniform = (int.from_bytes(digest[:7], "big") >> 3 | 1) / 2**53
    value = round(NormalDist(0.0, sigma).inv_cdf(uniform))
    return max(-clamp, min(clamp, value))


def round_to(value: int, base: int) -> int:
    """`value` rounded to the nearest multiple of `base` (halves up)."""
    if base <= 1:
        return value
    return math.floor(value / base + 0.5) * base


def protect_noise(*, exact: int, rules: Rules, key: bytes, fingerprint: str) -> str | int:
    """A count under the threshold-and-noise rules: hidden if the exact count or the noisy
    one is at most the threshold; otherwise the noisy count, rounded."""
    noisy = exact + sticky_noise(
        key=key, fingerprint=fingerprint, sigma=rules.noise_sigma, clamp=rules.noise_clamp
    )
    shown = round_to(noisy, rules.rounding)
    if exact <= rules.threshold or shown <= rules.threshold:
        return hidden_label(rules)
    return shown


@functools.lru_cache(maxsize=64)
def _laplace(epsilon: float) -> Any:
    import opendp.prelude as dp

    # OpenDP keeps mechanisms not yet vetted by its own review behind this flag.
    dp.enable_features("contrib")
    space = dp.atom_domain(T=int), dp.absolute_distance(T=int)
    return dp.m.make_laplace(*space, scale=1.0 / epsilon)


def laplace_release(*, exact: int, epsilon: float) -> int:
    """One count released with ε-differential privacy: OpenDP's Laplace mechanism on an
    integer count of sensitivity 1 (one person more or less changes it by at most 1)."""
    return int(_laplace(epsilon)(int(exact)))


def protect_dp(*, exact: int, rules: Rules, epsilon: float) -> str | int:
    """A count under differential privacy; the threshold applies to the released value
    (post-processing costs no budget)."""
    released = round_to(laplace_release(exact=exact, epsilon=epsilon), rules.rounding)
    if released <= rules.threshold:
        return hidden_label(rules)
    return released


@dataclass(frozen=True)
class Narrowness:
    """Why a definition is too narrow to answer, or empty when it is not."""

    reason: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def narrowness(definition: CohortDefinition, rules: Rules) -> Narrowness:
    """The first narrowness rule the definition breaks: an age range narrower than the
    region allows, or more criteria than it allows (each criterion narrows the cohort)."""
    age = definition.age
    if age is not None and age.min is not None and age.max is not None:
        span = age.max - age.min + 1
        if span < rules.min_age_span:
            return Narrowness("age_span", {"span": span, "minimum": rules.min_age_span})
    criteria = len(definition.inclusions) + len(definition.exclusions)
    if criteria > rules.max_criteria:
        return Narrowness("criteria", {"criteria": criteria, "maximum": rules.max_criteria})
    return Narrowness()


# --- near-identical questions ---


def _concept_tokens(concepts: ConceptSet | None) -> frozenset[str]:
    if concepts is None:
        return frozenset()
    ids = {f"c{i}" for i in concepts.concept_ids}
    codes = {"i" + code.rstrip("*").split(".")[0] for code in concepts.icd10_codes}
    return frozenset(ids | codes)


@dataclass(frozen=True)
class CriterionShape:
    """A criterion without its numbers: side, domain, source and concept tokens."""

    side: str
    domain: str
    source: str
    tokens: frozenset[str]

    def alike(self, other: CriterionShape) -> bool:
        if (self.side, self.domain, self.source) != (other.side, other.domain, other.source):
            return False
        if not self.tokens and not other.tokens:
            return True
        return bool(self.tokens & other.tokens)


@dataclass(frozen=True)
class Shape:
    """A definition without its numbers, for the lockout's comparison."""

    primary: CriterionShape
    criteria: tuple[CriterionShape, ...]

    def as_json(self) -> dict[str, Any]:
        def one(shape: CriterionShape) -> list[Any]:
            return [shape.side, shape.domain, shape.source, sorted(shape.tokens)]

        return {"primary": one(self.primary), "criteria": [one(c) for c in self.criteria]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Shape:
        def one(row: Sequence[Any]) -> CriterionShape:
            return CriterionShape(str(row[0]), str(row[1]), str(row[2]), frozenset(row[3]))

        return cls(one(data["primary"]), tuple(one(row) for row in data["criteria"]))


def _criterion_shape(side: str, criterion: Criterion) -> CriterionShape:
    return CriterionShape(
        side, str(criterion.domain), str(criterion.source), _concept_tokens(criterion.concepts)
    )


def definition_shape(definition: CohortDefinition) -> Shape:
    primary = definition.primary
    return Shape(
        CriterionShape(
            "index", str(primary.domain), str(primary.source), _concept_tokens(primary.concepts)
        ),
        tuple(_criterion_shape("in", c) for c in definition.inclusions)
        + tuple(_criterion_shape("out", c) for c in definition.exclusions),
    )


def _unmatched(left: Sequence[CriterionShape], right: Sequence[CriterionShape]) -> int:
    """How many criteria of `left` find no alike partner in `right` (each used once)."""
    free = list(right)
    missing = 0
    for shape in left:
        partner = next((i for i, other in enumerate(free) if shape.alike(other)), None)
        if partner is None:
            missing += 1
        else:
            free.pop(partner)
    return missing


def near_identical(one: Shape, other: Shape) -> bool:
    """Same index event, and the criteria differ in at most one (added, dropped or
    replaced), numbers ignored: see the module's docstring."""
    if not one.primary.alike(other.primary):
        return False
    return (
        max(_unmatched(one.criteria, other.criteria), _unmatched(other.criteria, one.criteria)) <= 1
    )


def count_near_identical(
    shape: Shape, earlier: Sequence[tuple[str, Shape]], fingerprint: str
) -> int:
    """Distinct earlier fingerprints (other than this one) whose shapes are near-identical."""
    seen = {fp for fp, other in earlier if fp != fingerprint and near_identical(shape, other)}
    return len(seen)
