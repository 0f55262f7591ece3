"""The region's rules on every count: threshold, sticky bounded noise, rounding, narrowness,
lockout, differential privacy with a budget, the log, and exact counts only in test mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.checks import Error
from django.test import override_settings

from studienav.core.models import Region, User
from studienav.counts import privacy
from studienav.counts.checks import check_counts_test_mode
from studienav.counts.definition import CohortDefinition, definition_parse
from studienav.counts.models import (
    BudgetSpend,
    CountQuestion,
    PrivacyMode,
    QuestionStatus,
    RefusalRule,
    RegionPrivacy,
)
from studienav.counts.protection import ExactRefused, protected_count
from tests.counts.population import ASTHMA, DIABETES, HYPERTENSION, PopulationCounter

KEY = b"k" * 32

pytestmark = pytest.mark.django_db


def cohort(
    *,
    age: tuple[int | None, int | None] | None = (18, 90),
    sex: list[str] | None = None,
    inclusions: list[int] = (),  # type: ignore[assignment]
    exclusions: list[int] = (),  # type: ignore[assignment]
    title: str = "",
) -> CohortDefinition:
    """A definition over the generated population: conditions as inclusions/exclusions."""
    data: dict[str, Any] = {
        "title": title,
        "inclusions": [
            {"domain": "condition", "concepts": {"concept_ids": [c]}, "label": str(c)}
            for c in inclusions
        ],
        "exclusions": [
            {"domain": "condition", "concepts": {"concept_ids": [c]}, "label": str(c)}
            for c in exclusions
        ],
    }
    if age is not None:
        data["age"] = {"min": age[0], "max": age[1]}
    if sex:
        data["sex"] = sex
    return definition_parse(data)


# --- the arithmetic ---


@pytest.mark.parametrize("exact", [0, 1, 5, 10])
def test_counts_of_ten_or_fewer_are_shown_as_fewer_than_eleven(exact: int) -> None:
    shown = privacy.protect_noise(exact=exact, rules=privacy.Rules(), key=KEY, fingerprint="f")
    assert shown == "<11"


def test_larger_counts_are_shown_with_noise_of_at_most_three() -> None:
    shown = [
        privacy.protect_noise(exact=500, rules=privacy.Rules(), key=KEY, fingerprint=f"q{i}")
        for i in range(400)
    ]
    assert all(isinstance(s, int) and 497 <= s <= 503 for s in shown)
    assert len(set(shown)) > 3


def test_the_same_question_always_gets_the_same_noise() -> None:
    first = privacy.sticky_noise(key=KEY, fingerprint="abc", sigma=1.33, clamp=3)
    assert all(
        privacy.sticky_noise(key=KEY, fingerprint="abc", sigma=1.33, clamp=3) == first
        for _ in range(50)
    )


def test_noise_depends_on_the_region_key() -> None:
    values = {
        privacy.sticky_noise(key=bytes([i]) * 32, fingerprint="abc", sigma=1.33, clamp=3)
        for i in range(60)
    }
    assert len(values) > 3


def test_noise_has_roughly_the_configured_spread() -> None:
    values = [
        privacy.sticky_noise(key=KEY, fingerprint=str(i), sigma=1.33, clamp=3) for i in range(4000)
    ]
    mean = sum(values) / len(values)
    spread = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    assert abs(mean) < 0.1
    assert 1.1 < spread < 1.5


def test_rounding_to_five() -> None:
    rules = privacy.Rules(rounding=5, noise_sigma=0)
    assert privacy.protect_noise(exact=123, rules=rules, key=KEY, fingerprint="x") == 125
    assert privacy.protect_noise(exact=122, rules=rules, key=KEY, fingerprint="x") == 120


def test_a_region_threshold_of_five_shows_fewer_than_six() -> None:
    rules = privacy.Rules(threshold=5, noise_sigma=0)
    assert privacy.protect_noise(exact=4, rules=rules, key=KEY, fingerprint="x") == "<6"
    assert privacy.protect_noise(exact=8, rules=rules, key=KEY, fingerprint="x") == 8


def test_differential_privacy_release_uses_opendp_laplace() -> None:
    released = [privacy.laplace_release(exact=1000, epsilon=1.0) for _ in range(200)]
    assert all(isinstance(v, int) for v in released)
    assert 990 < sum(released) / len(released) < 1010
    assert len(set(released)) > 3


def test_an_age_range_narrower_than_the_minimum_is_too_narrow() -> None:
    found = privacy.narrowness(cohort(age=(40, 42)), privacy.Rules(min_age_span=5))
    assert found.reason == "age_span"


def test_more_criteria_than_allowed_is_too_narrow() -> None:
    found = privacy.narrowness(
        cohort(inclusions=[DIABETES, HYPERTENSION, ASTHMA]), privacy.Rules(max_criteria=2)
    )
    assert found.reason == "criteria"


def test_dropping_one_criterion_is_near_identical() -> None:
    one = privacy.definition_shape(cohort(inclusions=[DIABETES, HYPERTENSION]))
    other = privacy.definition_shape(cohort(inclusions=[DIABETES]))
    assert privacy.near_identical(one, other)


def test_changing_only_numbers_is_near_identical() -> None:
    one = privacy.definition_shape(cohort(age=(18, 90), inclusions=[DIABETES]))
    other = privacy.definition_shape(cohort(age=(19, 91), sex=["female"], inclusions=[DIABETES]))
    assert privacy.near_identical(one, other)


def test_a_concept_list_with_one_more_id_is_near_identical() -> None:
    one = privacy.definition_shape(cohort(inclusions=[DIABETES]))
    data = cohort(inclusions=[DIABETES]).model_dump(mode="json")
    data["inclusions"][0]["concepts"]["concept_ids"] = [DIABETES, 4000002]
    assert privacy.near_identical(one, privacy.definition_shape(definition_parse(data)))


def test_a_different_question_is_not_near_identical() -> None:
    one = privacy.definition_shape(cohort(inclusions=[DIABETES, HYPERTENSION]))
    other = privacy.definition_shape(cohort(inclusions=[ASTHMA], exclusions=[DIABETES]))
    assert not privacy.near_identical(one, other)


# --- protected_count ---


def test_every_question_is_logged_with_the_answer_as_given(
    uppsala: Region, counter: PopulationCounter, anna: User
) -> None:
    answer = protected_count(
        region=uppsala, definition=cohort(inclusions=[DIABETES]), requester=anna, count_fn=counter
    )
    logged = CountQuestion.objects.get()
    assert logged.asked_by == anna
    assert logged.status == QuestionStatus.ANSWERED
    assert logged.answer["total"] == answer.total
    assert logged.fingerprint == answer.fingerprint


def test_repeating_a_question_gives_the_same_answer(
    uppsala: Region, counter: PopulationCounter
) -> None:
    answers = {
        protected_count(
            region=uppsala, definition=cohort(inclusions=[DIABETES]), count_fn=counter
        ).total
        for _ in range(5)
    }
    assert len(answers) == 1


def test_each_attrition_row_is_protected(uppsala: Region, counter: PopulationCounter) -> None:
    answer = protected_count(
        region=uppsala,
        definition=cohort(sex=["female"], inclusions=[DIABETES], exclusions=[HYPERTENSION]),
        count_fn=counter,
    )
    assert [name for name, _ in answer.attrition][:3] == ["Index event", "Age", "Sex"]
    assert answer.attrition[-1][1] == answer.total


def test_an_attrition_row_equals_the_same_cut_asked_on_its_own(
    uppsala: Region, counter: PopulationCounter
) -> None:
    whole = protected_count(
        region=uppsala, definition=cohort(inclusions=[DIABETES, ASTHMA]), count_fn=counter
    )
    cut = protected_count(
        region=uppsala, definition=cohort(inclusions=[DIABETES]), count_fn=counter
    )
    assert whole.attrition[-2][1] == cut.total


def test_a_small_cohort_is_hidden(uppsala: Region, people: list[Any]) -> None:
    few = PopulationCounter(people[:8])
    answer = protected_count(region=uppsala, definition=cohort(), count_fn=few)
    assert answer.total == "<11"
    assert all(shown == "<11" for _, shown in answer.attrition)


def test_exact_counts_are_refused_outside_test_mode(
    uppsala: Region, counter: PopulationCounter, settings: Any
) -> None:
    settings.COUNTS_TEST_MODE = False
    with pytest.raises(ExactRefused):
        protected_count(region=uppsala, definition=cohort(), exact=True, count_fn=counter)


def test_exact_counts_in_test_mode(
    uppsala: Region, counter: PopulationCounter, settings: Any
) -> None:
    settings.COUNTS_TEST_MODE = True
    definition = cohort(inclusions=[DIABETES])
    answer = protected_count(region=uppsala, definition=definition, exact=True, count_fn=counter)
    assert answer.total == counter(region="03", definition=definition).total
    assert CountQuestion.objects.get().is_exact


def test_a_too_narrow_definition_is_refused_and_logged(
    uppsala: Region, counter: PopulationCounter
) -> None:
    answer = protected_count(region=uppsala, definition=cohort(age=(50, 51)), count_fn=counter)
    assert answer.rule == RefusalRule.NARROW
    assert answer.total == ""
    assert counter.calls == 0
    assert CountQuestion.objects.get().rule == RefusalRule.NARROW


def test_lockout_after_too_many_near_identical_questions(
    uppsala: Region, counter: PopulationCounter
) -> None:
    RegionPrivacy.objects.create(region=uppsala, lockout_questions=3)
    rules = [
        protected_count(
            region=uppsala, definition=cohort(age=(18, 60 + i)), requester="r", count_fn=counter
        ).rule
        for i in range(5)
    ]
    assert rules == ["", "", "", RefusalRule.LOCKOUT, RefusalRule.LOCKOUT]


def test_repeating_an_answered_question_does_not_count_towards_the_lockout(
    uppsala: Region, counter: PopulationCounter
) -> None:
    RegionPrivacy.objects.create(region=uppsala, lockout_questions=1)
    for _ in range(4):
        answer = protected_count(
            region=uppsala, definition=cohort(), requester="r", count_fn=counter
        )
        assert answer.is_answered


def test_lockout_is_per_requester(uppsala: Region, counter: PopulationCounter) -> None:
    RegionPrivacy.objects.create(region=uppsala, lockout_questions=1)
    protected_count(
        region=uppsala, definition=cohort(age=(18, 60)), requester="a", count_fn=counter
    )
    protected_count(
        region=uppsala, definition=cohort(age=(18, 61)), requester="a", count_fn=counter
    )
    other = protected_count(
        region=uppsala, definition=cohort(age=(18, 62)), requester="b", count_fn=counter
    )
    assert other.is_answered


def test_a_region_without_data_refuses_with_a_reason(
    uppsala: Region, settings: Any, tmp_path: Path
) -> None:
    settings.COUNTS_DATA_DIR = tmp_path
    answer = protected_count(region=uppsala, definition=cohort())
    assert answer.rule == RefusalRule.NO_DATA
    assert answer.message


# --- differential privacy ---


@pytest.fixture
def dp_region(uppsala: Region) -> Region:
    RegionPrivacy.objects.create(
        region=uppsala, mode=PrivacyMode.DIFFERENTIAL, dp_epsilon=1.0, dp_monthly_budget=2.5
    )
    return uppsala


def test_each_dp_answer_spends_budget_the_requester_sees(
    dp_region: Region, counter: PopulationCounter
) -> None:
    first = protected_count(region=dp_region, definition=cohort(), requester="r", count_fn=counter)
    assert first.epsilon_spent == 1.0
    assert first.budget_left == pytest.approx(1.5)
    assert BudgetSpend.objects.get().epsilon == 1.0


def test_a_repeated_dp_question_spends_nothing_and_gets_the_same_answer(
    dp_region: Region, counter: PopulationCounter
) -> None:
    first = protected_count(region=dp_region, definition=cohort(), requester="r", count_fn=counter)
    again = protected_count(region=dp_region, definition=cohort(), requester="r", count_fn=counter)
    assert again.total == first.total
    assert again.epsilon_spent == 0.0
    assert BudgetSpend.objects.count() == 1


def test_a_spent_budget_refuses_new_questions(
    dp_region: Region, counter: PopulationCounter
) -> None:
    protected_count(
        region=dp_region, definition=cohort(age=(18, 60)), requester="r", count_fn=counter
    )
    protected_count(
        region=dp_region, definition=cohort(age=(30, 90)), requester="r", count_fn=counter
    )
    third = protected_count(
        region=dp_region, definition=cohort(inclusions=[ASTHMA]), requester="r", count_fn=counter
    )
    assert third.rule == RefusalRule.BUDGET
    assert third.budget_left == pytest.approx(0.5)


# --- test mode never with production settings ---


def test_system_check_refuses_test_mode_with_debug_off() -> None:
    with override_settings(COUNTS_TEST_MODE=True, DEBUG=False):
        errors = check_counts_test_mode()
    assert [e.id for e in errors if isinstance(e, Error)] == ["studienav.counts.E001"]


def test_system_check_allows_test_mode_in_development() -> None:
    with override_settings(COUNTS_TEST_MODE=True, DEBUG=True):
        assert check_counts_test_mode() == []


def test_test_mode_with_production_settings_refuses_to_start(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DEBUG": "0",
        "COUNTS_TEST_MODE": "1",
        "SECRET_KEY": "k" * 20 + "-Uu7x9Qm2vLp3Ws8Zr4Tn6Yb1Hc5Jd0Ke",
        "ALLOWED_HOSTS": "studier.example.se",
        "PARTICIPATION_KEYS": Fernet.generate_key().decode(),
        "PARTICIPATION_HASH_KEY": "h" * 40,
        "STUDIENAV_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "studienav", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "COUNTS_TEST_MODE" in done.stderr
