"""Sending the answer by the deadline without a late region, and the region's supplement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from studienav.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from studienav.core.models import AuditEvent, Region, User
from studienav.feasibility import exchange, services
from studienav.feasibility.models import AnswerChannel, RegionPart, RequestState, StudyRequest

SignIn = Callable[[Client, User], Client]


@pytest.fixture
def two_regions(
    submitted: StudyRequest, cecilia: User, uppsala: Region, orebro: Region
) -> tuple[RegionPart, RegionPart]:
    """David's request forwarded to Uppsala (Ulla) and Örebro (Bertil)."""
    uppsala_part, orebro_part = services.request_forward(
        by=cecilia, request=submitted, regions=[uppsala, orebro]
    )
    return uppsala_part, orebro_part


@pytest.fixture
def sent_without_orebro(
    two_regions: tuple[RegionPart, RegionPart], ulla: User, cecilia: User
) -> StudyRequest:
    """Uppsala compiled; node office sent the answer without Örebro, giving the reason."""
    uppsala_part, _orebro_part = two_regions
    services.region_compile(by=ulla, part=uppsala_part, summary="Two clinics interested.")
    return services.answer_send(
        by=cecilia,
        request=uppsala_part.request,
        answer="Uppsala: two clinics interested.",
        late_reason="Örebro had not compiled by the deadline.",
    )


def test_answer_without_a_late_region_needs_a_reason(
    two_regions: tuple[RegionPart, RegionPart], ulla: User, cecilia: User
) -> None:
    uppsala_part, _orebro_part = two_regions
    services.region_compile(by=ulla, part=uppsala_part, summary="Two clinics interested.")
    with pytest.raises(InvalidTransition) as error:
        services.answer_send(by=cecilia, request=uppsala_part.request, answer="Uppsala: yes.")
    assert error.value.field == "late_reason"
    assert "Örebro" in error.value.message
    request = StudyRequest.objects.get(pk=uppsala_part.request_id)
    assert request.state == RequestState.FORWARDED
    assert not RegionPart.objects.filter(sent_at__isnull=False).exists()


def test_late_region_is_marked_and_the_send_audited(
    sent_without_orebro: StudyRequest, orebro: Region
) -> None:
    request = sent_without_orebro
    assert request.state == RequestState.ANSWERED
    assert request.late_reason == "Örebro had not compiled by the deadline."
    uppsala_part, orebro_part = request.parts.order_by("region__code")
    assert uppsala_part.sent_at == request.answer_sent_at
    assert not uppsala_part.is_late
    assert orebro_part.sent_at is None
    assert orebro_part.is_late
    event = AuditEvent.objects.get(action="feasibility.request.answer_send")
    assert event.changes["late_regions"] == [orebro.code]
    assert event.reason == request.late_reason


def test_reason_is_not_kept_when_every_region_compiled(
    two_regions: tuple[RegionPart, RegionPart], ulla: User, bertil: User, cecilia: User
) -> None:
    uppsala_part, orebro_part = two_regions
    services.region_compile(by=ulla, part=uppsala_part, summary="Yes.")
    services.region_compile(by=bertil, part=orebro_part, summary="No.")
    request = services.answer_send(
        by=cecilia, request=uppsala_part.request, answer="Both answered.", late_reason="unused"
    )
    assert request.late_reason == ""
    assert not any(part.is_late for part in request.parts.all())


def test_late_region_answers_compiles_and_goes_as_a_supplement(
    sent_without_orebro: StudyRequest,
    bertil: User,
    cecilia: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    orebro_part = sent_without_orebro.parts.get(region__code="18")
    (recipient,) = services.recipients_select(
        by=bertil,
        part=orebro_part,
        choices=[services.RecipientChoice(name="Kardiologen", email="kardio.orebro@test.example")],
    )
    services.answer_submit(
        recipient=recipient, by=None, channel=AnswerChannel.LINK, is_interested=True
    )
    services.region_compile(by=bertil, part=orebro_part, summary="One clinic, 8 patients/year.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_supplement_send(
            by=cecilia, part=orebro_part, text="Örebro: one clinic, 8 patients a year."
        )
    orebro_part.refresh_from_db()
    assert orebro_part.supplement == "Örebro: one clinic, 8 patients a year."
    assert orebro_part.sent_at is not None
    assert orebro_part.is_late  # still shown as late to the sponsor: it came after the answer
    assert [m.to for m in mail.outbox] == [["david@test.example"]]
    assert "one clinic" not in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="feasibility.part.supplement_send").count() == 1
    with pytest.raises(InvalidTransition):
        services.answer_supplement_send(by=cecilia, part=orebro_part, text="Again.")
    document = exchange.answer_to_document(sent_without_orebro)
    orebro_record = document.answer.regions[1]
    assert (orebro_record.late, orebro_record.supplement) == (True, orebro_part.supplement)
    assert document.answer.late_reason == sent_without_orebro.late_reason


def test_supplement_only_by_node_office_and_once_compiled(
    sent_without_orebro: StudyRequest, bertil: User, david: User, cecilia: User
) -> None:
    orebro_part = sent_without_orebro.parts.get(region__code="18")
    for person in (bertil, david):
        with pytest.raises(PermissionDenied):
            services.answer_supplement_send(by=person, part=orebro_part, text="x")
    with pytest.raises(InvalidTransition) as error:
        services.answer_supplement_send(by=cecilia, part=orebro_part, text="x")
    assert error.value.field == "text"
    services.region_compile(by=bertil, part=orebro_part, summary="No clinic.")
    with pytest.raises(ValidationFailed) as empty:
        services.answer_supplement_send(by=cecilia, part=orebro_part, text="  ")
    assert empty.value.field == "text"
    assert not AuditEvent.objects.filter(action="feasibility.part.supplement_send").exists()


def test_a_region_sent_with_the_answer_is_closed(
    sent_without_orebro: StudyRequest, ulla: User, cecilia: User
) -> None:
    uppsala_part = sent_without_orebro.parts.get(region__code="03")
    with pytest.raises(InvalidTransition):
        services.region_compile(by=ulla, part=uppsala_part, summary="Changed afterwards.")
    with pytest.raises(InvalidTransition):
        services.answer_supplement_send(by=cecilia, part=uppsala_part, text="Again.")


def test_sponsor_page_shows_no_answer_by_the_deadline_then_the_supplement(
    client: Client,
    signed_in: SignIn,
    sent_without_orebro: StudyRequest,
    bertil: User,
    cecilia: User,
    david: User,
    english: None,
) -> None:
    signed_in(client, david)
    page = client.get(sent_without_orebro.get_absolute_url()).content.decode()
    assert "Örebro län: no answer by the deadline." in page
    assert "Örebro had not compiled" not in page  # the reason stays with the node
    orebro_part = sent_without_orebro.parts.get(region__code="18")
    services.region_compile(by=bertil, part=orebro_part, summary="No clinic.")
    services.answer_supplement_send(by=cecilia, part=orebro_part, text="Örebro: no clinic can.")
    page = client.get(sent_without_orebro.get_absolute_url()).content.decode()
    assert "no answer by the deadline; supplement sent" in page
    assert "Örebro: no clinic can." in page


def test_send_page_asks_for_the_reason_next_to_its_field(
    client: Client,
    signed_in: SignIn,
    two_regions: tuple[RegionPart, RegionPart],
    ulla: User,
    cecilia: User,
    english: None,
) -> None:
    uppsala_part, _orebro_part = two_regions
    services.region_compile(by=ulla, part=uppsala_part, summary="Yes.")
    signed_in(client, cecilia)
    url = reverse("feasibility:send", args=[uppsala_part.request_id])
    page = client.get(url).content.decode()
    assert "Not compiled yet: Örebro län" in page
    response = client.post(url, {"answer": "Uppsala: yes.", "late_reason": ""})
    assert response.status_code == 422
    assert "Waiting for these regions to compile: Örebro län" in response.content.decode()
    response = client.post(url, {"answer": "Uppsala: yes.", "late_reason": "Örebro is late."})
    assert response.status_code == 302
    assert StudyRequest.objects.get(pk=uppsala_part.request_id).state == RequestState.ANSWERED


def test_supplement_page_is_for_node_office_only(
    client: Client,
    signed_in: SignIn,
    sent_without_orebro: StudyRequest,
    bertil: User,
    cecilia: User,
) -> None:
    url = reverse("feasibility:supplement", args=[sent_without_orebro.pk, "18"])
    signed_in(client, bertil)
    assert client.post(url, {"text": "Örebro: no."}).status_code == 403
    services.region_compile(
        by=bertil, part=sent_without_orebro.parts.get(region__code="18"), summary="No."
    )
    signed_in(client, cecilia)
    assert client.post(url, {"text": ""}).status_code == 422
    assert client.post(url, {"text": "Örebro: no."}).status_code == 302
    assert sent_without_orebro.parts.get(region__code="18").supplement == "Örebro: no."
    missing = reverse("feasibility:supplement", args=[sent_without_orebro.pk, "99"])
    assert client.get(missing).status_code == 404
