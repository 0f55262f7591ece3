"""The request's life: draft, check, submission to every region, each region's case steps."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from studienav.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from studienav.core.models import AuditEvent, OutboxMessage, Region, User
from studienav.core.selectors import node_regions
from studienav.disclosure import casework, services
from studienav.disclosure.models import (
    CaseState,
    Decision,
    DecisionKind,
    DisclosureRequest,
    RegionCase,
    RequestState,
)
from tests.disclosure.conftest import WANTED, assess, case_of, decide, pdf_upload, request_data

MANIFEST = "\n".join(f"{n:064x}  patella/{n:05d}.dcm" for n in range(1, 4))


def _mails_to(address: str) -> list[OutboxMessage]:
    return [m for m in OutboxMessage.objects.order_by("id") if m.to == address]


def test_a_draft_lists_what_is_missing_before_it_can_be_submitted(anna: User) -> None:
    request = services.request_create(by=anna, data={"title": "Patellafrakturer"})
    missing = {m.field for m in services.request_missing(request)}
    assert {"purpose", "legal_basis", "ethics", "data_wanted", "accepted_conditions"} <= missing
    with pytest.raises(ValidationFailed) as error:
        services.request_submit(by=anna, request=request)
    assert error.value.code == "request_incomplete"
    request.refresh_from_db()
    assert request.state == RequestState.DRAFT
    assert not RegionCase.objects.exists()


def test_a_complete_draft_has_nothing_missing(draft: DisclosureRequest) -> None:
    assert services.request_missing(draft) == []


def test_pseudonymised_data_needs_the_key_holder(anna: User) -> None:
    request = services.request_create(by=anna, data=request_data(anna, key_holder=""))
    assert "key_holder" in {m.field for m in services.request_missing(request)}


def test_submission_opens_one_case_per_region_with_its_own_reference(
    submitted: DisclosureRequest,
) -> None:
    references = sorted(submitted.cases.values_list("reference", flat=True))
    codes = [r.code for r in node_regions()]
    assert references == sorted(f"DU-{code}-2026-0001" for code in codes)
    assert set(submitted.cases.values_list("state", flat=True)) == {CaseState.RECEIVED}


def test_references_count_on_per_region_and_year(
    submitted: DisclosureRequest, anna: User, uppsala: Region
) -> None:
    second = services.request_create(by=anna, data=request_data(anna, title="Andra studien"))
    services.ethics_approval_add(
        by=anna,
        request=second,
        case_number="2024-00001-01",
        decided_on=date(2024, 1, 10),
        decision_pdf=pdf_upload(),
    )
    services.data_wanted_set(by=anna, request=second, regions=[uppsala], data=WANTED)
    [case] = services.request_submit(by=anna, request=second)
    assert case.reference == "DU-03-2026-0002"


def test_submission_tells_each_regions_officers_without_the_content(
    draft: DisclosureRequest, anna: User, olle: User, otto: User
) -> None:
    services.request_submit(by=anna, request=draft)
    [mail] = _mails_to(olle.email)
    assert "DU-03-2026-0001" in mail.body
    assert "Patella" not in mail.body
    assert len(_mails_to(otto.email)) == 1


def test_a_submitted_request_can_no_longer_be_changed(
    submitted: DisclosureRequest, anna: User
) -> None:
    with pytest.raises(InvalidTransition):
        services.request_update(by=anna, request=submitted, data={"title": "Ändrad"})


def test_only_the_requester_changes_a_draft(draft: DisclosureRequest, bengt: User) -> None:
    with pytest.raises(PermissionDenied):
        services.request_update(by=bengt, request=draft, data={"title": "Kapad"})


def test_only_researchers_start_requests(cecilia: User) -> None:
    with pytest.raises(PermissionDenied):
        services.request_create(by=cecilia, data={"title": "Kansliets egen"})


def test_data_period_must_be_in_order(
    draft: DisclosureRequest, anna: User, uppsala: Region
) -> None:
    data = {**WANTED, "period_start": date(2023, 1, 1), "period_end": date(2011, 1, 1)}
    with pytest.raises(ValidationFailed) as error:
        services.data_wanted_set(by=anna, request=draft, regions=[uppsala], data=data)
    assert error.value.field == "period_end"


def test_every_step_of_a_case_is_audited_with_its_reason(
    submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    casework.case_assign(by=olle, case=case, handler=olle, reason="Olle tar ärendet")
    event = AuditEvent.objects.filter(action="disclosure.case.assign").get()
    assert event.reason == "Olle tar ärendet"
    assert event.changes["state"] == ["received", "assigned"]


def test_officer_cannot_decide_before_the_secrecy_assessment(
    submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    casework.case_assign(by=olle, case=case, handler=olle)
    with pytest.raises(InvalidTransition):
        casework.case_decide(by=olle, case=case, kind=DecisionKind.APPROVE)


def test_conditions_are_required_for_approval_with_conditions(
    submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    assess(case, olle)
    with pytest.raises(ValidationFailed) as error:
        casework.case_decide(by=olle, case=case, kind=DecisionKind.CONDITIONS)
    assert error.value.field == "conditions"
    assert not Decision.objects.exists()


def test_rejection_needs_reasons_and_carries_appeal_information(
    submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    assess(case, olle)
    with pytest.raises(ValidationFailed):
        casework.case_decide(by=olle, case=case, kind=DecisionKind.REJECT)
    decision = casework.case_decide(
        by=olle, case=case, kind=DecisionKind.REJECT, reasons="Risk för identifiering."
    )
    assert "kammarrätten" in decision.appeal
    assert "Region Uppsala" in decision.appeal


def test_a_rejected_case_closes_without_delivery(
    submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    decide(case, olle, DecisionKind.REJECT)
    with pytest.raises(InvalidTransition):
        casework.case_delivery_record(
            by=olle,
            case=case,
            description="x",
            delivered_on=date(2026, 11, 24),
            channel="sftp",
            manifest=MANIFEST,
        )
    closed = casework.case_close(by=olle, case=case, reason="Avslag, inget att leverera")
    assert closed.state == CaseState.CLOSED


def test_an_approved_case_closes_only_after_delivery(
    submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    decide(case, olle)
    with pytest.raises(InvalidTransition):
        casework.case_close(by=olle, case=case)
    delivery = casework.case_delivery_record(
        by=olle,
        case=case,
        description="1800 röntgenbilder",
        delivered_on=date(2026, 11, 24),
        channel="sftp",
        manifest=MANIFEST,
    )
    assert [e["name"] for e in delivery.manifest] == [
        "patella/00001.dcm",
        "patella/00002.dcm",
        "patella/00003.dcm",
    ]
    assert casework.case_close(by=olle, case=case).state == CaseState.CLOSED


@pytest.mark.parametrize(
    "manifest",
    ["", "not a checksum  file.dcm", f"{'a' * 64}  same.dcm\n{'b' * 64}  same.dcm"],
)
def test_a_bad_manifest_is_refused_naming_the_field(
    submitted: DisclosureRequest, olle: User, uppsala: Region, manifest: str
) -> None:
    case = case_of(submitted, uppsala)
    decide(case, olle)
    with pytest.raises(ValidationFailed) as error:
        casework.case_delivery_record(
            by=olle,
            case=case,
            description="bilder",
            delivered_on=date(2026, 11, 24),
            channel="sftp",
            manifest=manifest,
        )
    assert error.value.field == "manifest"
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED


def test_clarification_pauses_the_clock_and_the_answer_resumes_it(
    submitted: DisclosureRequest, olle: User, anna: User, uppsala: Region, time_machine: Any
) -> None:
    case = case_of(submitted, uppsala)
    assess(case, olle)
    casework.case_clarification_ask(by=olle, case=case, text="Vilka variabler behövs?")
    case.refresh_from_db()
    assert case.state == CaseState.CLARIFICATION
    assert case.paused_since is not None
    assert _mails_to(anna.email)
    time_machine.shift(timedelta(days=7))
    casework.case_clarification_answer(by=anna, case=case, text="Bara ålder och kön.")
    case.refresh_from_db()
    assert case.state == CaseState.ASSESSING
    assert case.paused_since is None


def test_only_the_requester_answers_a_clarification(
    submitted: DisclosureRequest, olle: User, bengt: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    assess(case, olle)
    casework.case_clarification_ask(by=olle, case=case, text="Fråga")
    with pytest.raises(PermissionDenied):
        casework.case_clarification_answer(by=bengt, case=case, text="Svar")


def test_officer_of_another_region_cannot_take_any_step(
    submitted: DisclosureRequest, otto: User, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    with pytest.raises(PermissionDenied):
        casework.case_assign(by=otto, case=case, handler=otto)
    assess(case, olle)
    with pytest.raises(PermissionDenied):
        casework.case_decide(by=otto, case=case, kind=DecisionKind.APPROVE)


def test_node_office_cannot_take_a_regions_steps(
    submitted: DisclosureRequest, cecilia: User, uppsala: Region
) -> None:
    with pytest.raises(PermissionDenied):
        casework.case_assign(by=cecilia, case=case_of(submitted, uppsala), handler=cecilia)


def test_handler_must_be_an_officer_of_the_region(
    submitted: DisclosureRequest, olle: User, otto: User, uppsala: Region
) -> None:
    with pytest.raises(ValidationFailed) as error:
        casework.case_assign(by=olle, case=case_of(submitted, uppsala), handler=otto)
    assert error.value.field == "handler"


def test_node_question_reaches_every_region_and_each_answers_for_its_own(
    submitted: DisclosureRequest,
    cecilia: User,
    olle: User,
    otto: User,
    uppsala: Region,
    orebro: Region,
) -> None:
    question = services.node_question_send(
        by=cecilia, request=submitted, text="Kan ni leverera i samma bildformat?"
    )
    assert _mails_to(olle.email)[-1] and _mails_to(otto.email)[-1]
    services.node_question_answer(by=olle, question=question, region=uppsala, text="Ja, DICOM.")
    with pytest.raises(PermissionDenied):
        services.node_question_answer(by=olle, question=question, region=orebro, text="Ja")


def test_only_node_office_keeps_common_notes(
    submitted: DisclosureRequest, olle: User, anna: User
) -> None:
    for person in (olle, anna):
        with pytest.raises(PermissionDenied):
            services.common_note_add(by=person, request=submitted, text="Anteckning")
