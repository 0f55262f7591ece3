"""The pages: no one outside a request reads it or its attachment; bad input never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from studienav.core.models import User
from studienav.feasibility import services
from studienav.feasibility.models import Attachment, Recipient, RegionPart, StudyRequest
from tests.feasibility.conftest import PDF, pdf_upload, request_data, sponsor_organisation

SignIn = Callable[[Client, User], Client]


def _detail(request: StudyRequest) -> str:
    return reverse("feasibility:detail", args=[request.pk])


def _file_url(request: StudyRequest) -> str:
    attachment = request.attachments.get()
    return reverse("feasibility:attachment", args=[request.pk, attachment.pk])


def test_other_sponsor_researcher_and_coordinators_cannot_read_a_received_request(
    client: Client,
    signed_in: SignIn,
    submitted: StudyRequest,
    erik: User,
    anna: User,
    bertil: User,
    ulla: User,
) -> None:
    for person in (erik, anna, bertil, ulla):
        signed_in(client, person)
        assert client.get(_detail(submitted)).status_code == 404
        assert client.get(_file_url(submitted)).status_code == 404
        client.logout()


def test_anonymous_is_sent_to_sign_in(client: Client, submitted: StudyRequest) -> None:
    response = client.get(_file_url(submitted))
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]


def test_coordinator_of_a_forwarded_region_reads_it_others_do_not(
    client: Client, signed_in: SignIn, forwarded: RegionPart, ulla: User, bertil: User
) -> None:
    request = forwarded.request
    signed_in(client, bertil)
    assert client.get(_detail(request)).status_code == 404
    assert client.get(_file_url(request)).status_code == 404
    client.logout()
    signed_in(client, ulla)
    assert client.get(_detail(request)).status_code == 200
    assert client.get(_file_url(request)).status_code == 200


def test_attachment_is_a_download_never_cached(
    client: Client, signed_in: SignIn, submitted: StudyRequest, david: User, cecilia: User
) -> None:
    for person in (david, cecilia):
        signed_in(client, person)
        response = client.get(_file_url(submitted))
        assert response.status_code == 200
        assert response.content == PDF
        assert response["Content-Disposition"].startswith("attachment;")
        assert "no-store" in response["Cache-Control"]
        client.logout()
    stored = Attachment.objects.get()
    assert stored.stored_name != "synopsis.pdf"
    assert "static" not in str(services.attachment_dir())


def test_recipient_reads_only_requests_sent_to_them(
    client: Client, signed_in: SignIn, asked: list[Recipient], anna: User, david: User
) -> None:
    request = asked[0].part.request
    signed_in(client, anna)
    assert client.get(_detail(request)).status_code == 200
    assert client.get(_file_url(request)).status_code == 200
    other = services.request_submit(
        by=david,
        organisation=sponsor_organisation(david),
        data=request_data(title="Another study"),
    )
    assert client.get(_detail(other)).status_code == 404


def test_recipient_cannot_answer_in_anothers_name(
    client: Client, signed_in: SignIn, asked: list[Recipient], bertil: User
) -> None:
    signed_in(client, bertil)
    url = reverse("feasibility:answer", args=[asked[0].part.request.pk, asked[0].pk])
    assert client.post(url, {"is_interested": "yes"}).status_code == 404


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("synopsis.pdf", b"MZ\x90\x00 not a pdf"), "is not a PDF"),
        (
            SimpleUploadedFile("big.pdf", PDF + b"0" * (20 * 1024 * 1024)),
            "larger than 20 MB",
        ),
    ],
)
@pytest.mark.usefixtures("english")
def test_attachment_refused_when_not_pdf_or_too_large(
    client: Client, signed_in: SignIn, david: User, upload: SimpleUploadedFile, message: str
) -> None:
    signed_in(client, david)
    data = {k: ("" if v is None else v) for k, v in request_data().items()}
    data["organisation"] = sponsor_organisation(david).pk
    response = client.post(reverse("feasibility:submit"), {**data, "attachment": upload})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not StudyRequest.objects.exists()
    assert not Attachment.objects.exists()


def test_sponsor_submits_through_the_form(client: Client, signed_in: SignIn, david: User) -> None:
    signed_in(client, david)
    data = {k: ("" if v is None else v) for k, v in request_data().items()}
    data["organisation"] = sponsor_organisation(david).pk
    response = client.post(reverse("feasibility:submit"), {**data, "attachment": pdf_upload()})
    assert response.status_code == 302
    request = StudyRequest.objects.get()
    assert response["Location"] == _detail(request)


def test_bad_form_input_is_explained_not_a_500(
    client: Client, signed_in: SignIn, david: User
) -> None:
    signed_in(client, david)
    response = client.post(
        reverse("feasibility:submit"),
        {"organisation": "999999", "phase": "x", "answer_deadline": "yesterday"},
    )
    assert response.status_code == 422
    assert not StudyRequest.objects.exists()


def test_researcher_cannot_open_the_submit_page_or_figures(
    client: Client, signed_in: SignIn, anna: User
) -> None:
    signed_in(client, anna)
    assert client.get(reverse("feasibility:submit")).status_code == 403
    assert client.get(reverse("feasibility:figures")).status_code == 403


def test_coordinator_cannot_forward_by_posting(
    client: Client, signed_in: SignIn, submitted: StudyRequest, ulla: User, uppsala: object
) -> None:
    signed_in(client, ulla)
    response = client.post(reverse("feasibility:forward", args=[submitted.pk]), {"regions": ["1"]})
    assert response.status_code == 404
    submitted.refresh_from_db()
    assert submitted.forwarded_at is None


def test_node_office_sees_the_figures_page(
    client: Client, signed_in: SignIn, cecilia: User, submitted: StudyRequest
) -> None:
    signed_in(client, cecilia)
    response = client.get(reverse("feasibility:figures") + "?year=2026")
    assert response.status_code == 200
    assert "2026" in response.content.decode()
