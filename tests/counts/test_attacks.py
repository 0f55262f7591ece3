"""Attacks on the protected counts, on a generated population, each trying to learn whether
one chosen person (the target) is in a cohort: a differencing (tracker) attack, averaging
by repetition and by equivalent formulations, and evading the lockout with trivially changed
definitions, under bounded noise and under differential privacy.

The target is a woman aged 47 with hypertension; the secret is whether she also has a rare
condition that nobody else has. Asked directly, the cohort "with the rare condition" has 0 or
1 persons and is hidden ("<11") in both worlds, so the attacker must subtract large counts.

The bounds are exact: `best_guess_success` enumerates every noise the answers can carry and
gives the success probability of the best possible attacker, who is told everything (the
count without the target too) except the region's noise key and the target's secret.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterator
from statistics import NormalDist
from typing import Any

import pytest
from django.test import override_settings

from studienav.core.models import Region
from studienav.counts import privacy
from studienav.counts.definition import CohortDefinition, definition_fingerprint, definition_parse
from studienav.counts.models import PrivacyMode, RefusalRule, RegionPrivacy
from studienav.counts.protection import protected_count
from tests.counts.population import HYPERTENSION, RARE, Person, PopulationCounter, population_make

pytestmark = pytest.mark.django_db

TARGET_ID = 999_999


def _world(target_in: bool) -> PopulationCounter:
    people = population_make(size=2000, seed=11)
    target = Person(TARGET_ID, 47, "female", {HYPERTENSION} | ({RARE} if target_in else set()))
    return PopulationCounter([*people, target])


def _women(
    *,
    age: tuple[int, int] = (18, 90),
    without_rare: bool = False,
    inclusions: list[dict[str, Any]] | None = None,
) -> CohortDefinition:
    data: dict[str, Any] = {"age": {"min": age[0], "max": age[1]}, "sex": ["female"]}
    data["inclusions"] = [
        {
            "domain": "condition",
            "concepts": {"concept_ids": [HYPERTENSION]},
            "label": "hypertension",
        }
    ]
    if without_rare:
        data["exclusions"] = [
            {"domain": "condition", "concepts": {"concept_ids": [RARE]}, "label": "rare"}
        ]
    if inclusions is not None:
        data["inclusions"] = inclusions
    return definition_parse(data)


def noise_distribution(sigma: float = 1.33, clamp: int = 3) -> dict[int, float]:
    """The distribution of `privacy.sticky_noise` over random keys: a Gaussian rounded to
    whole numbers, the tails folded onto ±clamp."""
    normal = NormalDist(0.0, sigma)
    return {
        k: normal.cdf(math.inf if k == clamp else k + 0.5)
        - normal.cdf(-math.inf if k == -clamp else k - 0.5)
        for k in range(-clamp, clamp + 1)
    }


def best_guess_success(*, with_target: int, without_target: int, noise: dict[int, float]) -> float:
    """Probability that the best attacker guesses the target's secret right, from
    `with_target` answers to questions whose count includes her if she has the condition and
    `without_target` answers to questions that never include her, each with independent
    noise; the attacker does not know the count (flat prior), only differences matter.
    Equals 1/2 + TV/2 between the two worlds' distributions of what the attacker sees."""
    seen: list[dict[tuple[int, ...], float]] = [defaultdict(float), defaultdict(float)]
    draws = with_target + without_target
    for secret in (0, 1):
        for combination in itertools.product(noise.items(), repeat=draws):
            probability = math.prod(p for _, p in combination)
            values = [n for n, _ in combination[:without_target]] + [
                n + secret for n, _ in combination[without_target:]
            ]
            seen[secret][tuple(v - values[0] for v in values)] += probability
    keys = set(seen[0]) | set(seen[1])
    return 0.5 + 0.25 * sum(abs(seen[0][k] - seen[1][k]) for k in keys)


@pytest.fixture
def region(uppsala: Region) -> Iterator[Region]:
    with override_settings(COUNTS_NOISE_KEY="a secret the attacker does not have"):
        yield uppsala


def test_sticky_noise_follows_the_distribution_the_bounds_assume() -> None:
    """The bounds below use the rounded, clamped Gaussian; the noise must have that law."""
    expected = noise_distribution()
    draws = 20_000
    counts: dict[int, int] = defaultdict(int)
    for i in range(draws):
        counts[privacy.sticky_noise(key=str(i).encode(), fingerprint="q", sigma=1.33, clamp=3)] += 1
    assert set(counts) <= set(expected)
    for value, share in expected.items():
        assert abs(counts[value] / draws - share) < 0.015


def test_tracker_attack_fails_to_learn_the_secret(region: Region) -> None:
    """Attack: differencing (tracker). Ask "women 18-90 with hypertension" (includes the target
    either way) and "... without the rare condition" (drops her only if she has it); the
    difference of the exact counts is the secret. Bound: the two answers carry independent
    noise, so the best possible attacker is right with probability at most 0.61 (a coin: 0.5),
    and every answer pair seen in one world is possible in the other."""
    answers = {}
    for target_in in (True, False):
        world = _world(target_in)
        whole = protected_count(
            region=region, definition=_women(), requester=f"t{target_in}", count_fn=world
        )
        tracker = protected_count(
            region=region,
            definition=_women(without_rare=True),
            requester=f"t{target_in}",
            count_fn=world,
        )
        answers[target_in] = (whole.total, tracker.total)
        assert isinstance(whole.total, int) and isinstance(tracker.total, int)
        # The two answers differ by the secret plus noise of up to ±6: every difference seen
        # also occurs, with other noise, in the other world.
        assert abs(whole.total - tracker.total) <= 7
    bound = best_guess_success(with_target=1, without_target=1, noise=noise_distribution())
    assert bound < 0.61


def test_the_attrition_table_gives_the_tracker_nothing_more(region: Region) -> None:
    """Attack: the attrition table of "... without the rare condition" holds both tracker
    counts in one answer. Bound: each row carries the noise of the same cut asked on its own,
    so the table adds no fresh noisy look; the tracker bound above still holds."""
    world = _world(True)
    table = protected_count(region=region, definition=_women(without_rare=True), count_fn=world)
    alone = protected_count(region=region, definition=_women(), count_fn=world)
    assert table.attrition[-2][1] == alone.total


def test_averaging_by_repeating_the_question_learns_nothing_more(region: Region) -> None:
    """Attack: averaging. Ask the tracker's question 50 times and average the answers to
    remove the noise. Bound: the same question always gets the same answer, so 50 answers
    carry exactly the information of one (the tracker bound holds unchanged)."""
    world = _world(True)
    answers = {
        protected_count(
            region=region, definition=_women(without_rare=True), requester="avg", count_fn=world
        ).total
        for _ in range(50)
    }
    assert len(answers) == 1


def test_averaging_over_equivalent_formulations_gets_one_answer(region: Region) -> None:
    """Attack: averaging over equivalent formulations: new titles, new labels, the concept
    list reordered or repeated. Bound: these are the same question (same fingerprint), so
    they get the same answer; nothing is averaged."""
    world = _world(True)
    base = _women(without_rare=True)
    data = base.model_dump(mode="json")
    variants = []
    for i in range(20):
        changed = {**data, "title": f"Formulation {i}"}
        changed["inclusions"] = [
            {
                **data["inclusions"][0],
                "label": f"label {i}",
                "concepts": {
                    **data["inclusions"][0]["concepts"],
                    "concept_ids": [HYPERTENSION] * (1 + i % 3),
                    "label": f"set {i}",
                },
            }
        ]
        variants.append(definition_parse(changed))
    assert {definition_fingerprint(v) for v in variants} == {definition_fingerprint(base)}
    totals = {
        protected_count(region=region, definition=v, requester="eq", count_fn=world).total
        for v in variants
    }
    assert len(totals) == 1


def _trivial_variants() -> Iterator[CohortDefinition]:
    """Definitions that select the same women but look different: age bounds moved where
    nobody is, the age range widened, a concept list with an extra id nobody has, and the
    rare exclusion present or not."""
    for i in range(12):
        yield _women(age=(18 - (i % 6), 90 + i), without_rare=bool(i % 2))
    for i in range(6):
        extra = {
            "domain": "condition",
            "concepts": {"concept_ids": [HYPERTENSION, 5_000_000 + i]},
            "label": "h",
        }
        yield _women(without_rare=True, inclusions=[extra])


def test_trivially_changed_definitions_do_not_evade_the_lockout(region: Region) -> None:
    """Attack: evade the lockout by asking the tracker's two questions in many trivially
    changed forms (each a new fingerprint, so new noise), then averaging. Bound: every such
    form is near-identical to the others, so with the lockout at 4 the attacker gets at most
    4 distinct answers; the best possible attacker using them is right with probability at
    most 0.65."""
    RegionPrivacy.objects.create(region=region, lockout_questions=4)
    world = _world(True)
    results = [
        protected_count(region=region, definition=variant, requester="evader", count_fn=world)
        for variant in _trivial_variants()
    ]
    answered = [r for r in results if r.is_answered]
    assert len({r.fingerprint for r in answered}) == 4
    assert all(r.rule == RefusalRule.LOCKOUT for r in results[4:])
    bound = max(
        best_guess_success(with_target=k, without_target=4 - k, noise=noise_distribution())
        for k in range(1, 4)
    )
    assert bound < 0.65


def test_tracker_attack_under_differential_privacy_is_bounded_by_the_budget(region: Region) -> None:
    """Attack: the tracker against a region using differential privacy (ε 0.25 per answer,
    1.0 per month). Bound: the budget allows 4 answers, whose total privacy loss is ε = 1, so
    no attacker is right with probability above e/(1+e) ≈ 0.731; measured over 2,000 runs of
    the attack with the best threshold rule, and the fifth question is refused."""
    RegionPrivacy.objects.create(region=region, mode=PrivacyMode.DIFFERENTIAL)
    world = _world(True)
    for i in range(4):
        answer = protected_count(
            region=region,
            definition=_women(age=(18, 80 + i), without_rare=bool(i % 2)),
            requester="dp",
            count_fn=world,
        )
        assert answer.is_answered
    refused = protected_count(
        region=region, definition=_women(age=(20, 90)), requester="dp", count_fn=world
    )
    assert refused.rule == RefusalRule.BUDGET

    rules = privacy.Rules(mode="dp", threshold=0)
    runs = 2000
    right = 0
    for run in range(runs):
        secret = run % 2
        with_target = [
            privacy.protect_dp(exact=500 + secret, rules=rules, epsilon=0.25) for _ in range(2)
        ]
        without = [privacy.protect_dp(exact=500, rules=rules, epsilon=0.25) for _ in range(2)]
        guess = int(sum(map(int, with_target)) - sum(map(int, without)) > 1)
        right += guess == secret
    assert right / runs < math.e / (1 + math.e)
