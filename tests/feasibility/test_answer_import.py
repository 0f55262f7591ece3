"""Importing a compiled answer: same state as exported, all or nothing, idempotent."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from studienav.core.errors import PermissionDenied, ValidationFailed
from studienav.core.models import AuditEvent, Region, User
from studienav.feasibility import exchange, services
from studienav.feasibility.models import AnswerChannel, RegionPart, RequestState, StudyRequest

SignIn = Callable[[Client, User], Client]


@pytest.fixture
def answered(
    submitted: StudyRequest,
    cecilia: User,
    ulla: User,
    bertil: User,
    uppsala: Region,
    orebro: Region,
) -> StudyRequest:
    """Uppsala: two clinics answered (one declined) and compiled; the answer went without
    Örebro, which compiled later and went as a supplement."""
    uppsala_part, orebro_part = services.request_forward(
        by=cecilia, request=submitted, regions=[uppsala, orebro]
    )
    yes, no = services.recipients_select(
        by=ulla,
        part=uppsala_part,
        choices=[
            services.RecipientChoice(name="Kardiologen", email="kardio@test.example"),
            services.RecipientChoice(name="Medicin", email="medicin@test.example"),
        ],
    )
    services.answer_submit(
        recipient=yes,
        by=None,
        channel=AnswerChannel.LINK,
        is_interested=True,
        eligible_patients_per_year=14,
        capacity="One nurse",
    )
    services.answer_submit(
        recipient=no,
        by=None,
        channel=AnswerChannel.LINK,
        is_interested=False,
        decline_reason="no_capacity",
    )
    services.region_compile(by=ulla, part=uppsala_part, summary="One clinic, 14 a year.")
    services.answer_send(
        by=cecilia,
        request=submitted,
        answer="Uppsala: one clinic, 14 a year.",
        late_reason="Örebro was late.",
    )
    services.region_compile(by=bertil, part=orebro_part, summary="No clinic.")
    services.answer_supplement_send(by=cecilia, part=orebro_part, text="Örebro: no clinic.")
    submitted.refresh_from_db()
    return submitted


def _copy_elsewhere(request: StudyRequest, by: User, reference: str) -> StudyRequest:
    """The request as another node knows it: imported and forwarded to the same regions."""
    document = exchange.request_to_document(request)
    record = document.request.model_copy(update={"reference": reference})
    copy = services.request_import(by=by, record=record)
    services.request_forward(
        by=by, request=copy, regions=[p.region for p in request.parts.select_related("region")]
    )
    return copy


def _answer_json(request: StudyRequest, reference: str | None = None) -> dict[str, Any]:
    data = json.loads(exchange.answer_to_document(request).model_dump_json())
    if reference:
        data["answer"]["reference"] = reference
    return data


def _import(data: dict[str, Any], by: User) -> services.AnswerImport:
    document = exchange.document_parse(json.dumps(data))
    assert isinstance(document, exchange.AnswerDocument)
    return services.answer_import(by=by, record=document.answer)


def test_exported_answer_imports_to_the_same_state(answered: StudyRequest, cecilia: User) -> None:
    copy = _copy_elsewhere(answered, cecilia, "NAT-2026-5")
    data = _answer_json(answered, reference="NAT-2026-5")
    result = _import(data, cecilia)
    assert result.changed
    copy.refresh_from_db()
    assert copy.state == RequestState.ANSWERED
    assert (copy.answer_sent_at, copy.compiled_answer, copy.late_reason) == (
        answered.answer_sent_at,
        answered.compiled_answer,
        answered.late_reason,
    )
    for original, imported in zip(
        answered.parts.order_by("region__code"), copy.parts.order_by("region__code"), strict=True
    ):
        assert (imported.summary, imported.compiled_at, imported.sent_at, imported.supplement) == (
            original.summary,
            original.compiled_at,
            original.sent_at,
            original.supplement,
        )
        assert imported.is_late == original.is_late
    assert _answer_json(copy) == data
    assert AuditEvent.objects.filter(action="feasibility.request.answer_import").count() == 1
    assert AuditEvent.objects.filter(action="feasibility.part.import").count() == 2


def test_importing_the_same_answer_again_changes_nothing(
    answered: StudyRequest, cecilia: User
) -> None:
    _copy_elsewhere(answered, cecilia, "NAT-2026-5")
    data = _answer_json(answered, reference="NAT-2026-5")
    _import(data, cecilia)
    events = AuditEvent.objects.count()
    assert _import(data, cecilia).changed == []
    assert AuditEvent.objects.count() == events
    # The node's own export, imported into the node itself, changes nothing either.
    assert _import(_answer_json(answered), cecilia).changed == []
    assert answered.parts.get(region__code="03").answers_elsewhere == []


def test_compiled_regions_import_before_the_answer_is_sent(
    answered: StudyRequest, cecilia: User
) -> None:
    copy = _copy_elsewhere(answered, cecilia, "NAT-2026-5")
    data = _answer_json(answered, reference="NAT-2026-5")
    data["answer"].update(sent_at=None, text="", late_reason="")
    for region in data["answer"]["regions"]:
        region.update(sent_at=None, late=False, supplement="")
    _import(data, cecilia)
    copy.refresh_from_db()
    assert copy.state == RequestState.FORWARDED
    assert all(part.is_compiled and part.sent_at is None for part in copy.parts.all())


def test_command_records_then_says_unchanged(
    answered: StudyRequest, cecilia: User, tmp_path: Path
) -> None:
    _copy_elsewhere(answered, cecilia, "NAT-2026-5")
    out = StringIO()
    call_command("feasibility_export", answered.reference, "--answer", stdout=out)
    data = json.loads(out.getvalue())
    data["answer"]["reference"] = "NAT-2026-5"
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(data))
    first, second = StringIO(), StringIO()
    call_command("feasibility_import", str(path), "--by", cecilia.email, stdout=first)
    call_command("feasibility_import", str(path), "--by", cecilia.email, stdout=second)
    assert "NAT-2026-5: answer recorded" in first.getvalue()
    assert "NAT-2026-5: unchanged" in second.getvalue()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda a: a.update(reference="NAT-404"), "answer.reference"),
        (lambda a: a["regions"][1].update(region_code="01"), "answer.regions.1.region_code"),
        (lambda a: a["regions"][1].update(region_code="03"), "answer.regions.1.region_code"),
        (lambda a: a["regions"].pop(1), "answer.regions"),
        (lambda a: a["regions"][0].update(asked=-1), "answer.regions.0.asked"),
        (lambda a: a["regions"][0].update(asked=1), "answer.regions.0.asked"),
        (
            lambda a: a["regions"][0]["answers"][0].update(interested="maybe"),
            "answer.regions.0.answers.0.interested",
        ),
        (lambda a: a["regions"][1].update(late=False), "answer.regions.1.late"),
        (lambda a: a.update(late_reason=""), "answer.late_reason"),
        (lambda a: a.update(text=""), "answer.text"),
        (lambda a: a.update(sent_at="2026-11-24T10:00:00"), "answer.sent_at"),
        (lambda a: a["regions"][1].update(sent_at="2030-01-01T10:00:00Z"), "answer.regions.1"),
        (lambda a: a["regions"][1].update(colour="red"), "answer.regions.1.colour"),
    ],
)
def test_bad_answers_are_refused_naming_the_field_and_write_nothing(
    answered: StudyRequest, cecilia: User, tmp_path: Path, change: Any, field: str
) -> None:
    copy = _copy_elsewhere(answered, cecilia, "NAT-2026-5")
    data = _answer_json(answered, reference="NAT-2026-5")
    change(data["answer"])
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError) as error:
        call_command("feasibility_import", str(path), "--by", cecilia.email)
    assert f": {field}" in str(error.value)
    copy.refresh_from_db()
    assert copy.state == RequestState.FORWARDED
    assert not RegionPart.objects.filter(request=copy, compiled_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action__endswith=".import").exists()


def test_a_sent_answer_is_not_rewritten_by_a_document(
    answered: StudyRequest, cecilia: User
) -> None:
    data = _answer_json(answered)
    data["answer"]["text"] = "Something else."
    with pytest.raises(ValidationFailed) as error:
        _import(data, cecilia)
    assert error.value.field == "answer.sent_at"
    data = _answer_json(answered)
    data["answer"]["regions"][0]["summary"] = "Rewritten."
    with pytest.raises(ValidationFailed) as region_error:
        _import(data, cecilia)
    assert region_error.value.field == "answer.regions.0"
    answered.refresh_from_db()
    assert answered.compiled_answer == "Uppsala: one clinic, 14 a year."


def test_only_node_office_imports_an_answer(
    answered: StudyRequest, cecilia: User, ulla: User, david: User
) -> None:
    _copy_elsewhere(answered, cecilia, "NAT-2026-5")
    data = _answer_json(answered, reference="NAT-2026-5")
    for person in (ulla, david):
        with pytest.raises(PermissionDenied):
            _import(data, person)
    assert StudyRequest.objects.get(reference="NAT-2026-5").state == RequestState.FORWARDED


def _upload(data: dict[str, Any] | str) -> SimpleUploadedFile:
    text = data if isinstance(data, str) else json.dumps(data)
    return SimpleUploadedFile("answer.json", text.encode(), content_type="application/json")


def test_node_office_uploads_an_answer_on_the_import_page(
    client: Client, signed_in: SignIn, answered: StudyRequest, cecilia: User, english: None
) -> None:
    copy = _copy_elsewhere(answered, cecilia, "NAT-2026-5")
    data = _answer_json(answered, reference="NAT-2026-5")
    signed_in(client, cecilia)
    url = reverse("feasibility:import")
    assert client.get(url).status_code == 200
    response = client.post(url, {"document": _upload(data)})
    assert response.status_code == 302
    assert response["Location"] == copy.get_absolute_url()
    response = client.post(url, {"document": _upload(data)}, follow=True)
    assert "Nothing changed" in response.content.decode()
    response = client.post(url, {"document": _upload("{not json")})
    assert response.status_code == 422
    data["answer"]["regions"][0]["region_code"] = "01"
    response = client.post(url, {"document": _upload(data)})
    assert response.status_code == 422
    assert "answer.regions.0.region_code" in response.content.decode()


def test_import_page_registers_a_request_document(
    client: Client, signed_in: SignIn, submitted: StudyRequest, cecilia: User
) -> None:
    data = json.loads(exchange.request_to_document(submitted).model_dump_json())
    data["request"]["reference"] = "NAT-2026-9"
    signed_in(client, cecilia)
    response = client.post(reverse("feasibility:import"), {"document": _upload(data)})
    assert response.status_code == 302
    assert StudyRequest.objects.get(reference="NAT-2026-9").channel == "national"


def test_import_page_is_for_node_office_only(
    client: Client, signed_in: SignIn, answered: StudyRequest, ulla: User, david: User
) -> None:
    for person in (ulla, david):
        signed_in(client, person)
        response = client.post(
            reverse("feasibility:import"), {"document": _upload(_answer_json(answered))}
        )
        assert response.status_code == 403


def test_imported_clinic_answers_show_to_node_office_not_the_sponsor(
    client: Client,
    signed_in: SignIn,
    answered: StudyRequest,
    cecilia: User,
    david: User,
    english: None,
) -> None:
    copy = _copy_elsewhere(answered, cecilia, "NAT-2026-5")
    _import(_answer_json(answered, reference="NAT-2026-5"), cecilia)
    signed_in(client, cecilia)
    page = client.get(copy.get_absolute_url()).content.decode()
    assert "Answers collected elsewhere" in page
    assert "No staff or time available" in page
    signed_in(client, david)
    page = client.get(copy.get_absolute_url()).content.decode()
    assert "Answers collected elsewhere" not in page
    assert "Medicin" not in page
