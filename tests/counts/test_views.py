"""The count pages: the builder, definitions and versions, questions and answers, CSV, the
disclosure officer's log and rules, the budget, agents; each with the wrong person too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from studienav.core.models import AuditEvent, Region, Role, User
from studienav.counts import services
from studienav.counts.compiler import OBSERVATION_RULE
from studienav.counts.definition import definition_parse
from studienav.counts.models import (
    AnswerStatus,
    CohortDefinition,
    CohortVersion,
    CountAgent,
    FederatedQuestion,
    RegionPrivacy,
)
from studienav.counts.protection import protected_count
from tests.counts.population import DIABETES, PopulationCounter
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

SignIn = Callable[[Client, User], Client]
CONTENT = {
    "title": "Diabetes",
    "age": {"min": 18, "max": 90},
    "inclusions": [
        {"domain": "condition", "concepts": {"concept_ids": [DIABETES]}, "label": "diabetes"}
    ],
}


@pytest.fixture
def definition(bertil: User, orebro: Region) -> CohortDefinition:
    return services.definition_create(
        by=bertil, title="Diabetes", content=CONTENT, regions=[orebro]
    )


@pytest.fixture
def question(definition: CohortDefinition, bertil: User) -> FederatedQuestion:
    assert definition.latest is not None
    question = FederatedQuestion.objects.create(version=definition.latest, asked_by=bertil)
    services.region_answers_create(question=question, regions=[definition.regions.get()])
    question.answers.update(
        status=AnswerStatus.ANSWERED,
        shown="412",
        value=412,
        answered_at=timezone.now(),
        attrition=[["Index event", 900], ["With diabetes", 412]],
        last_attempt_at=timezone.now(),
    )
    return question


def _builder_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Type 2 diabetes",
        "primary_domain": "condition",
        "primary_concepts": "201826",
        "primary_icd10": "",
        "descendants": "on",
        "prior_days": "365",
        "age_min": "40",
        "age_max": "75",
        "sex": "",
        "c0_side": "with",
        "c0_domain": "drug",
        "c0_concepts": "1503297",
        "c0_start": "0",
        "c0_end": "30",
        "c0_label": "Metformin",
        "note": "",
        "pasted": "",
    }
    data.update(overrides)
    return data


def test_coordinator_builds_a_definition_from_the_fields(
    client: Client, bertil: User, signed_in: SignIn
) -> None:
    signed_in(client, bertil)
    response = client.post(reverse("counts:build"), _builder_post())
    definition = CohortDefinition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == definition.get_absolute_url()
    version = definition.versions.get()
    assert version.content["inclusions"][0]["window"] == {"start": 0, "end": 30}
    assert AuditEvent.objects.filter(action="counts.definition.create").exists()


def test_builder_shows_a_bad_field_by_name(client: Client, bertil: User, signed_in: SignIn) -> None:
    signed_in(client, bertil)
    response = client.post(reverse("counts:build"), _builder_post(age_min="80", age_max="20"))
    assert response.status_code == 422
    assert not CohortDefinition.objects.exists()
    assert "age" in response.content.decode()


def test_builder_takes_a_pasted_definition(client: Client, bertil: User, signed_in: SignIn) -> None:
    import json

    signed_in(client, bertil)
    response = client.post(reverse("counts:build"), _builder_post(pasted=json.dumps(CONTENT)))
    assert response.status_code == 302
    assert CohortVersion.objects.get().content["inclusions"][0]["label"] == "diabetes"


def test_builder_states_the_observation_period_rule(
    client: Client, bertil: User, signed_in: SignIn, english: None
) -> None:
    signed_in(client, bertil)
    response = client.get(reverse("counts:build"))
    assert escape(str(OBSERVATION_RULE)) in response.content.decode()


def test_sponsor_cannot_use_the_builder(client: Client, david: User, signed_in: SignIn) -> None:
    signed_in(client, david)
    assert client.get(reverse("counts:build")).status_code == 403


def test_editing_makes_a_new_version(
    client: Client, bertil: User, signed_in: SignIn, definition: CohortDefinition
) -> None:
    signed_in(client, bertil)
    response = client.post(
        reverse("counts:edit", args=[definition.pk]),
        _builder_post(title="Diabetes", note="metformin"),
    )
    assert response.status_code == 302
    assert list(definition.versions.values_list("number", flat=True)) == [2, 1]


def test_definition_page_describes_it_in_plain_language(
    client: Client, bertil: User, signed_in: SignIn, definition: CohortDefinition, english: None
) -> None:
    signed_in(client, bertil)
    page = client.get(definition.get_absolute_url()).content.decode()
    assert "Aged 18 to 90 at the index date." in page


def test_another_researcher_cannot_see_the_definition(
    client: Client, anna: User, signed_in: SignIn, definition: CohortDefinition
) -> None:
    signed_in(client, anna)
    assert client.get(definition.get_absolute_url()).status_code == 404
    assert client.get(reverse("counts:edit", args=[definition.pk])).status_code == 404
    assert client.post(reverse("counts:ask", args=[definition.pk])).status_code == 404


def test_question_page_shows_each_region_and_the_total(
    client: Client, bertil: User, signed_in: SignIn, question: FederatedQuestion, english: None
) -> None:
    signed_in(client, bertil)
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Örebro" in page
    assert "412" in page
    assert "Total of the protected answers" in page


def test_question_csv_has_the_total(
    client: Client, bertil: User, signed_in: SignIn, question: FederatedQuestion
) -> None:
    signed_in(client, bertil)
    response = client.get(reverse("counts:csv", args=[question.pk]))
    text = response.content.decode()
    assert "18,Örebro" in text
    assert text.strip().splitlines()[-1].endswith(",412,,,")


def test_another_person_cannot_see_the_question(
    client: Client, anna: User, signed_in: SignIn, question: FederatedQuestion
) -> None:
    signed_in(client, anna)
    assert client.get(question.get_absolute_url()).status_code == 404
    assert client.get(reverse("counts:csv", args=[question.pk])).status_code == 404


def test_disclosure_officer_reviews_the_question_log(
    client: Client, olle: User, signed_in: SignIn, uppsala: Region, english: None
) -> None:
    protected_count(
        region=uppsala,
        definition=definition_parse(CONTENT),
        requester="forum:user:7",
        count_fn=PopulationCounter([]),
    )
    signed_in(client, olle)
    page = client.get(reverse("counts:log")).content.decode()
    assert "forum:user:7" in page
    assert "fewer than 11" in page


def test_officer_sees_only_their_regions_log(
    client: Client, olle: User, signed_in: SignIn, orebro: Region
) -> None:
    protected_count(
        region=orebro,
        definition=definition_parse(CONTENT),
        requester="secret-asker",
        count_fn=PopulationCounter([]),
    )
    signed_in(client, olle)
    assert "secret-asker" not in client.get(reverse("counts:log")).content.decode()


def test_coordinator_cannot_read_the_question_log(
    client: Client, bertil: User, signed_in: SignIn
) -> None:
    signed_in(client, bertil)
    assert client.get(reverse("counts:log")).status_code == 403


def test_officer_sets_the_regions_rules_with_a_reason(
    client: Client, olle: User, signed_in: SignIn, uppsala: Region
) -> None:
    signed_in(client, olle)
    data = {
        "mode": "dp",
        "threshold": "10",
        "rounding": "5",
        "noise_sigma": "1.33",
        "noise_clamp": "3",
        "dp_epsilon": "0.2",
        "dp_monthly_budget": "1.0",
        "min_age_span": "5",
        "max_criteria": "10",
        "lockout_questions": "6",
        "lockout_hours": "24",
        "reason": "The board's decision 2026-12",
    }
    response = client.post(reverse("counts:privacy", args=["03"]), data)
    assert response.status_code == 302
    assert RegionPrivacy.objects.get(region=uppsala).rounding == 5
    assert AuditEvent.objects.get(action="counts.privacy.update").reason == data["reason"]


def test_officer_cannot_set_another_regions_rules(
    client: Client, olle: User, signed_in: SignIn
) -> None:
    signed_in(client, olle)
    assert client.get(reverse("counts:privacy", args=["18"])).status_code == 404


def test_budget_page_shows_a_dp_regions_budget(
    client: Client, bertil: User, signed_in: SignIn, uppsala: Region, english: None
) -> None:
    RegionPrivacy.objects.create(region=uppsala, mode="dp", dp_monthly_budget=2.0, dp_epsilon=0.5)
    protected_count(
        region=uppsala,
        definition=definition_parse(CONTENT),
        requester=bertil,
        count_fn=PopulationCounter([]),
    )
    signed_in(client, bertil)
    page = client.get(reverse("counts:budget")).content.decode()
    assert "Uppsala" in page
    assert "1.50" in page


def test_node_office_registers_an_agent(client: Client, cecilia: User, signed_in: SignIn) -> None:
    from studienav.counts.signatures import key_pair_new

    signed_in(client, cecilia)
    data = {
        "region": str(Region.objects.get(code="21").pk),
        "url": "http://127.0.0.1:8111",
        "public_key": key_pair_new()[1],
    }
    assert client.post(reverse("counts:agents"), data).status_code == 302
    assert CountAgent.objects.get().region.code == "21"


def test_a_bad_agent_key_is_named(client: Client, cecilia: User, signed_in: SignIn) -> None:
    signed_in(client, cecilia)
    data = {
        "region": str(Region.objects.get(code="21").pk),
        "url": "http://127.0.0.1:8111",
        "public_key": "not a key",
    }
    response = client.post(reverse("counts:agents"), data)
    assert response.status_code == 422
    assert not CountAgent.objects.exists()


def test_coordinator_cannot_register_agents(
    client: Client, bertil: User, signed_in: SignIn
) -> None:
    signed_in(client, bertil)
    assert client.get(reverse("counts:agents")).status_code == 403


def test_pages_answer_in_english_and_swedish(
    client: Client, cecilia: User, signed_in: SignIn, question: FederatedQuestion
) -> None:
    RoleFactory.create(
        user=cecilia, role=Role.DISCLOSURE_OFFICER, region=Region.objects.get(code="03")
    )
    signed_in(client, cecilia)
    for prefix in ("", "/en"):
        for name in (
            "counts:index",
            "counts:build",
            "counts:budget",
            "counts:log",
            "counts:agents",
        ):
            with translation.override("sv"):
                path = reverse(name)
            assert client.get(prefix + path).status_code == 200, name


def test_sponsor_sees_answers_of_their_study_request(
    david: User, question: FederatedQuestion
) -> None:
    from studienav.counts.selectors import study_request_answers
    from studienav.feasibility.models import StudyRequest
    from tests.feasibility.conftest import request_data, sponsor_organisation

    request = StudyRequest.objects.create(
        reference="2026-901",
        channel="site",
        sponsor_organisation=sponsor_organisation(david),
        **request_data(),
    )
    question.study_request = request
    question.save()
    other = UserFactory.create(email="x@test.example")
    assert [q.pk for q in study_request_answers(david, request)] == [question.pk]
    assert study_request_answers(other, request) == []


def test_the_compiled_answer_lines_name_each_region_and_the_total(
    david: User, question: FederatedQuestion, english: None
) -> None:
    from studienav.counts.results import count_answer_lines, study_request_count_answers
    from studienav.feasibility.models import StudyRequest
    from tests.feasibility.conftest import request_data, sponsor_organisation

    request = StudyRequest.objects.create(
        reference="2026-902",
        channel="site",
        sponsor_organisation=sponsor_organisation(david),
        **request_data(),
    )
    question.study_request = request
    question.save()
    assert count_answer_lines(request) == [
        "Patient counts for “Diabetes” (protected): Örebro län 412; "
        "total of the protected answers 412."
    ]
    assert study_request_count_answers(david, request)[0]["total"].value == 412


def test_dashboard_shows_waiting_answers_to_the_asker(
    bertil: User, definition: CohortDefinition
) -> None:
    from studienav.counts.dashboard import dashboard_panels

    assert definition.latest is not None
    question = FederatedQuestion.objects.create(version=definition.latest, asked_by=bertil)
    services.region_answers_create(question=question, regions=[definition.regions.get()])
    assert [p["count"] for p in dashboard_panels(bertil)] == [1]


def test_dashboard_shows_the_officer_todays_questions(olle: User, uppsala: Region) -> None:
    from studienav.counts.dashboard import dashboard_panels

    protected_count(
        region=uppsala, definition=definition_parse(CONTENT), count_fn=PopulationCounter([])
    )
    assert [p["count"] for p in dashboard_panels(olle)] == [1]


def test_demo_data_makes_definitions_without_generating_data(settings: Any, tmp_path: Any) -> None:
    import io
    import random

    from studienav.counts.demo import DEFINITIONS, demo_data_load

    settings.COUNTS_DATA_DIR = tmp_path
    UserFactory.create(email="cecilia@demo.example")
    RoleFactory.create(user=User.objects.get(email="cecilia@demo.example"), role=Role.NODE_OFFICE)
    demo_data_load(rng=random.Random(1), options={}, stdout=io.StringIO())
    demo_data_load(rng=random.Random(1), options={}, stdout=io.StringIO())
    assert CohortDefinition.objects.count() == len(DEFINITIONS)
    assert not FederatedQuestion.objects.exists()
