"""The pages through a client: the form, the check, each step; bad input never a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from studienav.core.models import Region, User
from studienav.disclosure.models import CaseState, Decision, DisclosureRequest, RequestState
from tests.disclosure.conftest import assess, case_of, pdf_upload

SignIn = Callable[[Client, User], Client]


def test_the_form_saves_a_draft_in_swedish_and_english(
    client: Client, signed_in: SignIn, anna: User
) -> None:
    signed_in(client, anna)
    assert client.get("/disclosure/new/").status_code == 200
    english = client.get("/en/disclosure/new/").content.decode()
    assert "New health-data request" in english
    response = client.post("/en/disclosure/new/", {"title": "Patella", "decision_language": "sv"})
    assert response.status_code == 302
    request = DisclosureRequest.objects.get()
    assert request.state == RequestState.DRAFT


def test_the_check_page_lists_what_is_missing(
    client: Client, signed_in: SignIn, anna: User
) -> None:
    signed_in(client, anna)
    client.post("/en/disclosure/new/", {"title": "Patella", "decision_language": "sv"})
    request = DisclosureRequest.objects.get()
    page = client.get(f"/en/disclosure/{request.pk}/check/").content.decode()
    assert "The purpose of the project" in page
    assert "An ethics approval" in page


def test_submitting_the_complete_draft_sends_it_to_every_region(
    client: Client, signed_in: SignIn, draft: DisclosureRequest, anna: User
) -> None:
    signed_in(client, anna)
    response = client.post(reverse("disclosure:check", args=[draft.pk]))
    assert response.status_code == 302
    assert draft.cases.count() == 7


def test_a_bad_ethics_number_is_shown_next_to_its_field(
    client: Client, signed_in: SignIn, draft: DisclosureRequest, anna: User
) -> None:
    signed_in(client, anna)
    response = client.post(
        f"/en/disclosure/{draft.pk}/ethics/",
        {
            "kind": "approval",
            "case_number": "EPN-42",
            "decided_on": "2023-05-01",
            "decision": pdf_upload(),
        },
    )
    assert response.status_code == 422
    assert "2023-01234-01" in response.content.decode()


def test_a_file_that_is_not_a_pdf_is_refused(
    client: Client, signed_in: SignIn, draft: DisclosureRequest, anna: User
) -> None:
    signed_in(client, anna)
    response = client.post(
        f"/en/disclosure/{draft.pk}/files/",
        {"kind": "protocol", "file": pdf_upload("plan.pdf", b"MZ\x90\x00 not a pdf")},
    )
    assert response.status_code == 422
    assert "is not a PDF file" in response.content.decode()
    assert draft.attachments.count() == 1  # the ethics decision only


def test_a_file_over_the_limit_is_refused(
    client: Client, signed_in: SignIn, draft: DisclosureRequest, anna: User, settings: object
) -> None:
    settings.DISCLOSURE_ATTACHMENT_MAX_BYTES = 100  # type: ignore[attr-defined]
    signed_in(client, anna)
    response = client.post(
        f"/en/disclosure/{draft.pk}/files/",
        {"kind": "protocol", "file": pdf_upload("plan.pdf", b"%PDF-1.7\n" + b"0" * 200)},
    )
    assert response.status_code == 422
    assert "is larger than" in response.content.decode()


def test_attachments_live_in_the_private_directory_and_are_served_to_the_requester(
    client: Client, signed_in: SignIn, draft: DisclosureRequest, anna: User, settings: object
) -> None:
    attachment = draft.attachments.get()
    stored = settings.DISCLOSURE_PRIVATE_DIR / attachment.stored_name  # type: ignore[attr-defined]
    assert stored.is_file()
    assert not str(stored).startswith(str(settings.STATIC_ROOT))  # type: ignore[attr-defined]
    signed_in(client, anna)
    response = client.get(reverse("disclosure:attachment", args=[draft.pk, attachment.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_officer_decides_through_the_page_and_gets_a_pdf(
    client: Client, signed_in: SignIn, submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    assess(case, olle)
    signed_in(client, olle)
    response = client.post(
        reverse("disclosure:case_decide", args=[case.pk]),
        {"kind": "conditions", "conditions": "Får inte lämnas vidare.", "language": "sv"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    pdf = client.get(reverse("disclosure:decision_pdf", args=[case.pk]))
    assert pdf.content.startswith(b"%PDF-")
    assert case.reference.encode() in pdf.content
    english = client.get(reverse("disclosure:decision_pdf", args=[case.pk]) + "?language=en")
    assert b"/Lang (en)" in english.content


def test_a_decision_missing_its_conditions_is_shown_again_not_saved(
    client: Client, signed_in: SignIn, submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    assess(case, olle)
    signed_in(client, olle)
    response = client.post(
        f"/en/disclosure/cases/{case.pk}/decide/", {"kind": "conditions", "language": "sv"}
    )
    assert response.status_code == 422
    assert "State the conditions" in response.content.decode()
    assert not Decision.objects.exists()


def test_the_case_file_is_a_pdf_with_the_audit_trail(
    client: Client, signed_in: SignIn, submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    assess(case, olle)
    signed_in(client, olle)
    response = client.get(reverse("disclosure:case_file", args=[case.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert case.reference.encode() in response.content


def test_every_page_answers_in_both_languages(
    client: Client,
    signed_in: SignIn,
    submitted: DisclosureRequest,
    olle: User,
    cecilia: User,
    uppsala: Region,
) -> None:
    case = case_of(submitted, uppsala)
    signed_in(client, olle)
    for prefix in ("", "/en"):
        for path in (
            "/disclosure/",
            f"/disclosure/cases/{case.pk}/",
            f"/disclosure/{submitted.pk}/",
        ):
            assert client.get(prefix + path).status_code == 200
    client.logout()
    signed_in(client, cecilia)
    assert client.get("/disclosure/overview/").status_code == 200


def test_the_staff_dashboard_shows_the_regions_open_cases(
    client: Client, signed_in: SignIn, submitted: DisclosureRequest, olle: User, english: None
) -> None:
    signed_in(client, olle)
    page = client.get(reverse("core:dashboard")).content.decode()
    assert "Health-data requests to your region" in page
