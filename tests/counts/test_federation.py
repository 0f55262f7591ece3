"""Federated counts with three count agents as separate processes on 127.0.0.1: each region's
protected answer, signed and checked; the total; an offline agent answering when it returns."""

from __future__ import annotations

from typing import Any

import pytest

from studienav.core.models import Region, User
from studienav.counts import federation, services
from studienav.counts.models import AnswerStatus, CohortDefinition, CountAgent, RegionAnswer
from studienav.counts.results import question_rows, total_of
from tests.counts import agent_processes as agents
from tests.counts.agent_processes import AGENT_REGIONS, AgentProcess

# The agents' fixtures (session-wide: three processes started once).
agent_world = agents.agent_world
hub_keys = agents.hub_keys
agent_processes = agents.agent_processes

pytestmark = pytest.mark.django_db

# Women with an observation period: about half of the Eunomia sample's 2,694 persons.
EVERYONE = {"title": "Women", "sex": ["female"]}
# A condition no one in the sample has: hidden in every region.
NOBODY = {
    "title": "Nobody",
    "primary": {"domain": "condition", "concepts": {"concept_ids": [4000001]}},
}


@pytest.fixture
def hub(
    settings: Any, hub_keys: tuple[str, str], agent_processes: dict[str, AgentProcess]
) -> dict[str, AgentProcess]:
    """This process is the hub: its key, and the three agents registered with theirs."""
    settings.COUNTS_HUB_PRIVATE_KEY = hub_keys[0]
    # A loaded test machine may answer slowly; waiting long is no failure here.
    settings.COUNTS_AGENT_TIMEOUT = 120.0
    for code, agent in agent_processes.items():
        CountAgent.objects.create(
            region=Region.objects.get(code=code), url=agent.url, public_key=agent.public_key
        )
    return agent_processes


def _definition(by: User, content: dict[str, Any]) -> CohortDefinition:
    regions = list(Region.objects.filter(code__in=AGENT_REGIONS))
    return services.definition_create(
        by=by, title=content["title"], content=content, regions=regions
    )


def test_three_agents_answer_with_signed_protected_counts(
    hub: dict[str, AgentProcess], cecilia: User
) -> None:
    definition = _definition(cecilia, EVERYONE)
    assert definition.latest is not None
    question = services.question_ask(version=definition.latest, by=cecilia)
    answers = list(question.answers.select_related("region"))
    assert [a.region.code for a in answers] == list(AGENT_REGIONS)
    for answer in answers:
        assert answer.status == AnswerStatus.ANSWERED, answer.last_error
        assert answer.value is not None and answer.value > 10
        assert answer.signature and answer.signed_payload
        assert answer.attrition[-1][1] == answer.value
    total = total_of(answers)
    assert total.value == sum(a.value or 0 for a in answers)


def test_the_same_data_gets_each_regions_own_noise(
    hub: dict[str, AgentProcess], cecilia: User
) -> None:
    """The three regions hold the same sample here; their keys differ, so do their answers'
    noise (with overwhelming likelihood at least two of three differ)."""
    definition = _definition(cecilia, EVERYONE)
    assert definition.latest is not None
    question = services.question_ask(version=definition.latest, by=cecilia)
    values = {a.value for a in question.answers.all()}
    assert len(values) >= 2


def test_small_counts_come_back_hidden(hub: dict[str, AgentProcess], cecilia: User) -> None:
    definition = _definition(cecilia, NOBODY)
    assert definition.latest is not None
    question = services.question_ask(version=definition.latest, by=cecilia)
    assert {a.shown for a in question.answers.all()} == {"<11"}
    assert total_of(list(question.answers.all())).hidden == 3


def test_the_csv_has_each_region_and_the_total_of_protected_answers(
    hub: dict[str, AgentProcess], cecilia: User
) -> None:
    definition = _definition(cecilia, EVERYONE)
    assert definition.latest is not None
    question = services.question_ask(version=definition.latest, by=cecilia)
    rows = question_rows(question)
    assert [row[0] for row in rows[1:4]] == list(AGENT_REGIONS)
    assert rows[-1][3] == sum(a.value or 0 for a in question.answers.all())


def test_an_offline_agent_answers_when_it_returns(
    hub: dict[str, AgentProcess], cecilia: User
) -> None:
    orebro = hub["18"]
    orebro.stop()
    try:
        definition = _definition(cecilia, EVERYONE)
        assert definition.latest is not None
        question = services.question_ask(version=definition.latest, by=cecilia)
        waiting = question.answers.get(region__code="18")
        assert waiting.status == AnswerStatus.WAITING
        assert "not reachable" in waiting.last_error
        assert question.answers.filter(status=AnswerStatus.ANSWERED).count() == 2
    finally:
        orebro.start()
        orebro.wait_ready()
    federation.answers_retry_waiting()
    returned = RegionAnswer.objects.get(question=question, region__code="18")
    assert returned.status == AnswerStatus.ANSWERED, returned.last_error
    assert returned.attempts == 2


def test_an_answer_signed_with_another_key_is_not_accepted(
    hub: dict[str, AgentProcess], cecilia: User
) -> None:
    from studienav.counts import signatures

    CountAgent.objects.filter(region__code="21").update(public_key=signatures.key_pair_new()[1])
    definition = _definition(cecilia, EVERYONE)
    assert definition.latest is not None
    question = services.question_ask(version=definition.latest, by=cecilia)
    refused = question.answers.get(region__code="21")
    assert refused.status == AnswerStatus.WAITING
    assert "not signed" in refused.last_error


def test_a_region_without_agent_or_data_waits(cecilia: User, settings: Any, tmp_path: Any) -> None:
    settings.COUNTS_DATA_DIR = tmp_path
    definition = services.definition_create(
        by=cecilia, title="Adults", content=EVERYONE, regions=[Region.objects.get(code="19")]
    )
    assert definition.latest is not None
    question = services.question_ask(version=definition.latest, by=cecilia)
    answer = question.answers.get()
    assert answer.status == AnswerStatus.WAITING
    assert "no agent" in answer.last_error
