"""Who reads what, through the pages: the wrong person gets 404 (or 403), never the content."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from studienav.core.models import Region, User
from studienav.disclosure import casework, services
from studienav.disclosure.models import CaseState, DisclosureRequest, SecrecyAssessment
from tests.disclosure.conftest import assess, case_of, decide

SignIn = Callable[[Client, User], Client]
NOTE = "Intern anteckning: ringde kliniken om bildformatet."


def _url(name: str, *args: int) -> str:
    return reverse(f"disclosure:{name}", args=args)


@pytest.fixture
def decided(submitted: DisclosureRequest, olle: User, uppsala: Region) -> DisclosureRequest:
    """Uppsala has assessed (with internal notes) and approved with conditions."""
    decide(case_of(submitted, uppsala), olle)
    return submitted


def test_another_researcher_reads_nothing_of_annas_request(
    client: Client, signed_in: SignIn, decided: DisclosureRequest, bengt: User, uppsala: Region
) -> None:
    signed_in(client, bengt)
    case = case_of(decided, uppsala)
    attachment = decided.attachments.get()
    for url in (
        _url("request", decided.pk),
        _url("trail", decided.pk),
        _url("attachment", decided.pk, attachment.pk),
        _url("case", case.pk),
        _url("decision_pdf", case.pk),
        _url("case_file", case.pk),
    ):
        assert client.get(url).status_code == 404, url
    assert "Patella" not in client.get(_url("list")).content.decode()


def test_another_researcher_cannot_answer_for_the_requester(
    client: Client,
    signed_in: SignIn,
    submitted: DisclosureRequest,
    olle: User,
    bengt: User,
    uppsala: Region,
) -> None:
    case = case_of(submitted, uppsala)
    assess(case, olle)
    casework.case_clarification_ask(by=olle, case=case, text="Fråga")
    signed_in(client, bengt)
    response = client.post(_url("case_answer", case.pk), {"text": "Kapat svar"})
    assert response.status_code == 404
    assert case.messages.count() == 1


def test_requester_sees_every_regions_status_but_no_assessment(
    client: Client, signed_in: SignIn, decided: DisclosureRequest, anna: User, uppsala: Region
) -> None:
    signed_in(client, anna)
    page = client.get(_url("request", decided.pk)).content.decode()
    assert page.count("DU-") >= 7
    case_page = client.get(_url("case", case_of(decided, uppsala).pk)).content.decode()
    assert NOTE not in case_page
    assert "Risk för identifiering bedöms liten" not in case_page
    assert client.get(_url("case_file", case_of(decided, uppsala).pk)).status_code == 404


def test_requester_cannot_take_a_regions_steps(
    client: Client, signed_in: SignIn, submitted: DisclosureRequest, anna: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    signed_in(client, anna)
    for name in ("case_assign", "case_assess", "case_decide", "case_close"):
        assert client.post(_url(name, case.pk), {"kind": "approve"}).status_code == 404
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED


def test_each_region_sees_only_its_own_assessment_notes(
    client: Client,
    signed_in: SignIn,
    decided: DisclosureRequest,
    olle: User,
    otto: User,
    uppsala: Region,
    orebro: Region,
) -> None:
    uppsala_case = case_of(decided, uppsala)
    signed_in(client, olle)
    assert NOTE in client.get(_url("case", uppsala_case.pk)).content.decode()
    client.logout()
    signed_in(client, otto)
    # Örebro reads the request and Uppsala's status, never Uppsala's assessment.
    assert client.get(_url("request", decided.pk)).status_code == 200
    assert NOTE not in client.get(_url("case", uppsala_case.pk)).content.decode()
    assert client.get(_url("case_file", uppsala_case.pk)).status_code == 404
    assert NOTE not in client.get(_url("trail", decided.pk)).content.decode()
    response = client.post(
        _url("case_decide", uppsala_case.pk), {"kind": "reject", "reasons": "x", "language": "sv"}
    )
    assert response.status_code == 404


def test_officer_of_a_region_not_named_reads_nothing(
    client: Client, signed_in: SignIn, anna: User, uppsala: Region, olle: User
) -> None:
    from datetime import date

    from tests.disclosure.conftest import WANTED, officer, pdf_upload, request_data

    request = services.request_create(by=anna, data=request_data(anna))
    services.ethics_approval_add(
        by=anna,
        request=request,
        case_number="2023-01234-01",
        decided_on=date(2023, 6, 1),
        decision_pdf=pdf_upload(),
    )
    services.data_wanted_set(by=anna, request=request, regions=[uppsala], data=WANTED)
    services.request_submit(by=anna, request=request)
    dalarna = officer(Region.objects.get(code="20"))
    signed_in(client, dalarna)
    assert client.get(_url("request", request.pk)).status_code == 404
    assert client.get(_url("case", request.cases.get().pk)).status_code == 404


def test_node_office_sees_statuses_and_notes_but_no_assessment(
    client: Client, signed_in: SignIn, decided: DisclosureRequest, cecilia: User, uppsala: Region
) -> None:
    services.common_note_add(by=cecilia, request=decided, text="Samordna bildformat.")
    case = case_of(decided, uppsala)
    signed_in(client, cecilia)
    page = client.get(_url("request", decided.pk)).content.decode()
    assert "Samordna bildformat." in page
    assert NOTE not in client.get(_url("case", case.pk)).content.decode()
    assert client.get(_url("case_file", case.pk)).status_code == 404
    assert client.get(_url("decision_pdf", case.pk)).status_code == 200
    assert client.get(_url("overview")).status_code == 200
    response = client.post(
        _url("case_assess", case.pk),
        {"data_concerned": "x", "harm_test": "y", "outcome": "no_harm"},
    )
    assert response.status_code == 404
    assert SecrecyAssessment.objects.filter(case=case).count() == 1


def test_requester_does_not_read_the_common_notes(
    client: Client, signed_in: SignIn, submitted: DisclosureRequest, cecilia: User, anna: User
) -> None:
    services.common_note_add(by=cecilia, request=submitted, text="Kansliets anteckning.")
    signed_in(client, anna)
    assert "Kansliets anteckning." not in client.get(_url("request", submitted.pk)).content.decode()


def test_drafts_are_the_requesters_own(
    client: Client, signed_in: SignIn, draft: DisclosureRequest, cecilia: User, olle: User
) -> None:
    for person in (cecilia, olle):
        signed_in(client, person)
        assert client.get(_url("request", draft.pk)).status_code == 404
        client.logout()


def test_someone_else_cannot_edit_or_submit_a_draft(
    client: Client, signed_in: SignIn, draft: DisclosureRequest, bengt: User
) -> None:
    signed_in(client, bengt)
    assert client.post(_url("edit", draft.pk), {"title": "Kapad"}).status_code == 404
    assert client.post(_url("check", draft.pk)).status_code == 404
    draft.refresh_from_db()
    assert draft.is_draft


def test_only_node_office_writes_common_notes(
    client: Client, signed_in: SignIn, submitted: DisclosureRequest, olle: User
) -> None:
    signed_in(client, olle)
    response = client.post(_url("note_add", submitted.pk), {"text": "x", "kind": "note"})
    assert response.status_code == 403


def test_anonymous_is_sent_to_sign_in(client: Client, submitted: DisclosureRequest) -> None:
    response = client.get(_url("request", submitted.pk))
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]
