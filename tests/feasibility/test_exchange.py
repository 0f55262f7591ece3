"""The JSON exchange format: round trip, and errors that name the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from studienav.core.errors import ValidationFailed
from studienav.core.models import User
from studienav.feasibility import exchange, services
from studienav.feasibility.models import AnswerChannel, Recipient, StudyRequest

SignIn = Callable[[Client, User], Client]


def test_request_round_trip(submitted: StudyRequest) -> None:
    document = exchange.request_to_document(submitted)
    text = document.model_dump_json()
    assert json.loads(text)["format"] == "studienav.feasibility/1"
    parsed = exchange.document_parse(text)
    assert parsed == document
    assert isinstance(parsed, exchange.RequestDocument)
    data = exchange.request_data_from_record(parsed.request)
    for field, value in data.items():
        assert getattr(submitted, field) == value, field


def test_answer_round_trip(asked: list[Recipient], ulla: User, cecilia: User) -> None:
    services.answer_submit(
        recipient=asked[1],
        by=None,
        channel=AnswerChannel.LINK,
        is_interested=False,
        decline_reason="no_patients",
    )
    request = asked[0].part.request
    services.region_compile(by=ulla, part=asked[0].part, summary="No clinic interested.")
    services.answer_send(by=cecilia, request=request, answer="Uppsala: no interest.")
    document = exchange.answer_to_document(request)
    parsed = exchange.document_parse(document.model_dump_json())
    assert parsed == document
    assert isinstance(parsed, exchange.AnswerDocument)
    region = parsed.answer.regions[0]
    assert (region.region_code, region.asked, len(region.answers)) == ("03", 2, 1)
    assert region.answers[0].decline_reason == "no_patients"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(format="other/1"), "format"),
        (lambda d: d["request"].update(phase="7"), "request.phase"),
        (
            lambda d: d["request"]["sponsor"].update(contact_email="nope"),
            "request.sponsor.contact_email",
        ),
        (lambda d: d["request"].update(answer_deadline="31/12/2026"), "request.answer_deadline"),
        (lambda d: d["request"].update(colour="red"), "request.colour"),
        (lambda d: d["request"].pop("title"), "request.title"),
    ],
)
def test_invalid_documents_name_the_field(
    submitted: StudyRequest, change: object, field: str
) -> None:
    data = json.loads(exchange.request_to_document(submitted).model_dump_json())
    change(data)  # type: ignore[operator]
    with pytest.raises(ValidationFailed) as error:
        exchange.document_parse(json.dumps(data))
    assert error.value.field == field


def test_not_json_is_refused() -> None:
    with pytest.raises(ValidationFailed) as error:
        exchange.document_parse("{not json")
    assert error.value.code == "exchange_not_json"


def test_export_then_import_through_the_commands(
    submitted: StudyRequest, cecilia: User, tmp_path: Path
) -> None:
    out = StringIO()
    call_command("feasibility_export", submitted.reference, stdout=out)
    data = json.loads(out.getvalue())
    data["request"]["reference"] = "NAT-2026-17"
    path = tmp_path / "request.json"
    path.write_text(json.dumps(data))
    call_command("feasibility_import", str(path), "--by", cecilia.email, stdout=StringIO())
    imported = StudyRequest.objects.get(reference="NAT-2026-17")
    assert imported.channel == "national"
    assert imported.title == submitted.title
    with pytest.raises(CommandError, match="reference"):
        call_command("feasibility_import", str(path), "--by", cecilia.email)
    data["request"]["phase"] = "9"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match=r"request\.phase"):
        call_command("feasibility_import", str(path), "--by", cecilia.email)


def test_only_node_office_imports(submitted: StudyRequest, david: User, tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    document = exchange.request_to_document(submitted)
    path.write_text(document.model_dump_json().replace(submitted.reference, "X-1"))
    with pytest.raises(CommandError):
        call_command("feasibility_import", str(path), "--by", david.email)
    assert not StudyRequest.objects.filter(reference="X-1").exists()


# --- hostile documents ------------------------------------------------------------------

DEEP = '{"format": "studienav.feasibility/1", "kind": "request", "request": %s}' % (
    "[" * 30_000 + "]" * 30_000
)


def test_a_deeply_nested_document_is_refused_not_a_recursion_error(english: None) -> None:
    with pytest.raises(ValidationFailed) as error:
        exchange.document_parse(DEEP)
    assert error.value.code == "exchange_too_deep"
    assert error.value.message == "The document is nested deeper than 64 levels."


def test_a_document_over_the_size_limit_is_refused(english: None) -> None:
    with pytest.raises(ValidationFailed) as error:
        exchange.document_parse(b" " * (exchange.MAX_BYTES + 1))
    assert error.value.code == "exchange_too_large"
    assert error.value.message == "The document is larger than 5 MB."


def test_the_import_page_shows_a_deep_document_as_a_plain_message(
    client: Client, signed_in: SignIn, cecilia: User, english: None
) -> None:
    signed_in(client, cecilia)
    upload = SimpleUploadedFile("deep.json", DEEP.encode(), content_type="application/json")
    response = client.post(reverse("feasibility:import"), {"document": upload})
    assert response.status_code == 422
    assert "The document is nested deeper than 64 levels." in response.content.decode()
    assert not StudyRequest.objects.exists()


def test_the_import_command_refuses_a_deep_document(
    cecilia: User, tmp_path: Path, english: None
) -> None:
    path = tmp_path / "deep.json"
    path.write_text(DEEP)
    with pytest.raises(CommandError, match="nested deeper than 64 levels"):
        call_command("feasibility_import", str(path), "--by", cecilia.email)


def test_the_import_command_refuses_a_document_over_the_size_limit(
    cecilia: User, tmp_path: Path, english: None
) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (exchange.MAX_BYTES + 1))
    with pytest.raises(CommandError, match="larger than 5 MB"):
        call_command("feasibility_import", str(path), "--by", cecilia.email)
