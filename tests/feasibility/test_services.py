"""Every step of a study request: who may take it, what it records, what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from studienav.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from studienav.core.models import AuditEvent, Region, User
from studienav.feasibility import services
from studienav.feasibility.models import (
    AnswerChannel,
    Outcome,
    Recipient,
    RegionPart,
    RequestChannel,
    RequestState,
    StudyRequest,
)
from studienav.registry.models import Study
from tests.feasibility.conftest import request_data, sponsor_organisation


def _answer(recipient: Recipient, **kwargs: object) -> None:
    services.answer_submit(
        recipient=recipient,
        by=None,
        channel=AnswerChannel.LINK,
        **{"is_interested": True, "eligible_patients_per_year": 12, **kwargs},  # type: ignore[arg-type]
    )


def test_sponsor_submits_request_and_it_is_audited(submitted: StudyRequest, david: User) -> None:
    assert submitted.state == RequestState.RECEIVED
    assert submitted.reference == "2026-001"
    assert submitted.channel == RequestChannel.SITE
    assert submitted.attachments.count() == 1
    event = AuditEvent.objects.get(action="feasibility.request.receive")
    assert event.actor == david
    assert event.actor_role == "sponsor"


def test_sponsor_cannot_submit_for_another_organisation(david: User, erik: User) -> None:
    with pytest.raises(PermissionDenied):
        services.request_submit(
            by=david, organisation=sponsor_organisation(erik), data=request_data()
        )
    assert not StudyRequest.objects.exists()


def test_researcher_cannot_submit_a_request(anna: User, david: User) -> None:
    with pytest.raises(PermissionDenied):
        services.request_submit(
            by=anna, organisation=sponsor_organisation(david), data=request_data()
        )


def test_bad_request_data_names_the_field_and_writes_nothing(david: User) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.request_submit(
            by=david,
            organisation=sponsor_organisation(david),
            data=request_data(phase="7"),
        )
    assert error.value.field == "phase"
    with pytest.raises(ValidationFailed) as past:
        services.request_submit(
            by=david,
            organisation=sponsor_organisation(david),
            data=request_data(answer_deadline=request_data()["planned_start"].replace(year=2020)),
        )
    assert past.value.field == "answer_deadline"
    assert not StudyRequest.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="feasibility").exists()


def test_only_node_office_registers_requests_from_email(
    cecilia: User, bertil: User, david: User
) -> None:
    organisation = sponsor_organisation(david)
    with pytest.raises(PermissionDenied):
        services.request_register(
            by=bertil, organisation=organisation, channel="email", data=request_data()
        )
    request = services.request_register(
        by=cecilia, organisation=organisation, channel="national", data=request_data()
    )
    assert request.channel == RequestChannel.NATIONAL
    assert request.submitted_by is None


def test_clarification_stops_the_clock_and_sponsor_answers(
    submitted: StudyRequest, cecilia: User, david: User, erik: User, bertil: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.request_ask_clarification(by=bertil, request=submitted, question="Why?")
    pause = services.request_ask_clarification(
        by=cecilia, request=submitted, question="Comparator?"
    )
    submitted.refresh_from_db()
    assert submitted.state == RequestState.CLARIFICATION
    with pytest.raises(PermissionDenied):
        services.request_clarified(by=erik, request=submitted, clarification="Placebo")
    services.request_clarified(by=david, request=submitted, clarification="Placebo")
    pause.refresh_from_db()
    assert pause.resumed_at is not None
    assert pause.clarification == "Placebo"
    submitted.refresh_from_db()
    assert submitted.state == RequestState.RECEIVED


def test_only_node_office_forwards_and_only_to_the_nodes_regions(
    submitted: StudyRequest, cecilia: User, bertil: User, david: User, uppsala: Region
) -> None:
    for person in (bertil, david):
        with pytest.raises(PermissionDenied):
            services.request_forward(by=person, request=submitted, regions=[uppsala])
    stockholm = Region.objects.get(code="01")
    with pytest.raises(ValidationFailed) as error:
        services.request_forward(by=cecilia, request=submitted, regions=[stockholm])
    assert error.value.field == "regions"
    services.request_forward(by=cecilia, request=submitted, regions=[uppsala])
    submitted.refresh_from_db()
    assert submitted.state == RequestState.FORWARDED
    assert submitted.forwarded_at is not None


def test_coordinator_cannot_select_recipients_in_another_region(
    forwarded: RegionPart, bertil: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.recipients_select(
            by=bertil,
            part=forwarded,
            choices=[services.RecipientChoice(name="X", email="x@test.example")],
        )
    assert not Recipient.objects.exists()


def test_recipients_get_a_link_without_confidential_content(
    django_capture_on_commit_callbacks: object, forwarded: RegionPart, ulla: User, anna: User
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.recipients_select(
            by=ulla,
            part=forwarded,
            choices=[services.RecipientChoice(name="Anna Berg", email="ANNA@test.example")],
        )
    recipient = Recipient.objects.get()
    assert recipient.user == anna
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@test.example"]
    assert "/study-requests/answer/" in message.body
    text = f"{message.subject}\n{message.body}"
    assert "X-123" not in text
    assert "heart failure" not in text.lower()


def test_decline_needs_a_reason_and_answer_is_given_once(asked: list[Recipient]) -> None:
    anna_recipient = asked[0]
    with pytest.raises(ValidationFailed) as error:
        _answer(anna_recipient, is_interested=False, eligible_patients_per_year=None)
    assert error.value.field == "decline_reason"
    with pytest.raises(ValidationFailed) as other:
        _answer(anna_recipient, is_interested=False, decline_reason="other")
    assert other.value.field == "comment"
    _answer(anna_recipient, is_interested=False, decline_reason="no_capacity")
    with pytest.raises(InvalidTransition):
        _answer(anna_recipient)


def test_signed_in_answer_only_by_the_recipient_themself(
    asked: list[Recipient], anna: User, bertil: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.answer_submit(
            recipient=asked[0], by=bertil, channel=AnswerChannel.ACCOUNT, is_interested=True
        )
    answer = services.answer_submit(
        recipient=asked[0], by=anna, channel=AnswerChannel.ACCOUNT, is_interested=True
    )
    assert answer.answered_by == anna


def test_compile_by_the_regions_coordinator_then_node_office_sends(
    asked: list[Recipient], ulla: User, bertil: User, cecilia: User, david: User
) -> None:
    part = asked[0].part
    request = part.request
    _answer(asked[0])
    with pytest.raises(InvalidTransition) as waiting:
        services.answer_send(by=cecilia, request=request, answer="Uppsala: one clinic")
    assert "Uppsala" in waiting.value.message
    with pytest.raises(PermissionDenied):
        services.region_compile(by=bertil, part=part, summary="ok")
    services.region_compile(by=ulla, part=part, summary="One interested clinic, 12 patients/year.")
    for person in (ulla, david):
        with pytest.raises(PermissionDenied):
            services.answer_send(by=person, request=request, answer="x")
    services.answer_send(by=cecilia, request=request, answer="Uppsala: one interested clinic.")
    request.refresh_from_db()
    assert request.state == RequestState.ANSWERED
    with pytest.raises(InvalidTransition):
        _answer(asked[1])


def test_outcome_links_the_started_study(
    asked: list[Recipient], ulla: User, cecilia: User, david: User
) -> None:
    request = asked[0].part.request
    services.region_compile(by=ulla, part=asked[0].part, summary="None answered.")
    services.answer_send(by=cecilia, request=request, answer="No interest.")
    with pytest.raises(PermissionDenied):
        services.outcome_record(by=david, request=request, outcome=Outcome.SITE_SELECTED)
    with pytest.raises(ValidationFailed) as error:
        services.outcome_record(by=cecilia, request=request, outcome=Outcome.STUDY_STARTED)
    assert error.value.field == "study"
    study = Study.objects.create(
        public_title="HFpEF X-123", study_type="drug", sponsor_type="industry", phase="3"
    )
    services.outcome_record(by=cecilia, request=request, outcome=Outcome.STUDY_STARTED, study=study)
    request.refresh_from_db()
    assert request.outcome_study == study


def test_every_step_is_audited(asked: list[Recipient], ulla: User, cecilia: User) -> None:
    _answer(asked[0])
    services.region_compile(by=ulla, part=asked[0].part, summary="One clinic.")
    services.answer_send(by=cecilia, request=asked[0].part.request, answer="One clinic.")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "feasibility.request.receive",
        "feasibility.attachment.add",
        "feasibility.request.forward",
        "feasibility.part.forward",
        "feasibility.recipient.select",
        "feasibility.answer.submit",
        "feasibility.part.compile",
        "feasibility.request.answer_send",
    } <= actions


def test_sponsor_is_told_of_a_question_without_its_content(
    django_capture_on_commit_callbacks: Any, submitted: StudyRequest, cecilia: User
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.request_ask_clarification(
            by=cecilia, request=submitted, question="Is X-123 given orally?"
        )
    assert [m.to for m in mail.outbox] == [["david@test.example"]]
    assert "X-123" not in mail.outbox[0].body
    assert submitted.get_absolute_url() in mail.outbox[0].body
