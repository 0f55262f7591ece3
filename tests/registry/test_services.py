"""The publishing workflow: who may take which step, audit events, versions and e-mails."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core import mail

from studienav.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from studienav.core.models import AuditEvent, Organisation, Region, Role, User
from studienav.registry.models import (
    ChangeRequest,
    ChangeStatus,
    EnrolmentReport,
    Merge,
    Site,
    SiteStatus,
    Study,
    StudyIdentifier,
    StudyState,
)
from studienav.registry.services import (
    change_approve,
    change_diff,
    change_propose,
    change_reject,
    identifier_add,
    site_add,
    site_set_recruitment,
    site_update,
    study_close,
    study_create,
    study_merge,
    study_publish,
    study_return,
    study_set_conditions,
    study_set_interventions,
    study_set_outcomes,
    study_submit,
    study_update,
)
from tests.factories import OrganisationFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


@pytest.fixture
def akademiska(anna: User) -> Organisation:
    return Organisation.objects.get(name="Akademiska sjukhuset")


@pytest.fixture
def uso(orebro: Region) -> Organisation:
    return OrganisationFactory.create(
        name="Universitetssjukhuset Örebro", region=orebro, city="Örebro"
    )


@pytest.fixture
def ulla(uppsala: Region) -> User:
    """Node coordinator for Region Uppsala; reads her e-mail in Swedish."""
    user = UserFactory.create(email="ulla@test.example", full_name="Ulla Lindqvist", language="sv")
    RoleFactory.create(user=user, role=Role.NODE_COORDINATOR, region=uppsala)
    return user


@pytest.fixture
def nina(akademiska: Organisation) -> User:
    """Research nurse (site staff) at Akademiska sjukhuset."""
    user = UserFactory.create(email="nina@test.example", full_name="Nina Holm")
    RoleFactory.create(user=user, role=Role.SITE_STAFF, organisation=akademiska)
    return user


def _draft(by: User, **extra: Any) -> Study:
    data = {
        "public_title": "Fysisk träning vid hjärtsvikt",
        "study_type": "other_interventional",
        "sponsor_type": "academic",
        "summary_sv": "Vi prövar om träning hjälper vid hjärtsvikt.",
        **extra,
    }
    return study_create(by=by, data=data)


def _published(anna: User, ulla: User, akademiska: Organisation, **extra: Any) -> Study:
    study = _draft(anna, **extra)
    site_add(study=study, by=anna, organisation=akademiska)
    study_submit(study=study, by=anna)
    return study_publish(study=study, by=ulla, reason="Quality checked")


def _actions(study: Study) -> list[tuple[str, str]]:
    events = AuditEvent.objects.filter(object_type="registry.study", object_id=str(study.pk))
    return list(events.order_by("id").values_list("action", "reason"))


def test_study_goes_from_draft_to_completed_with_every_step_audited(
    anna: User, ulla: User, akademiska: Organisation, django_capture_on_commit_callbacks: Capture
) -> None:
    anna.language = "en"
    anna.save()
    study = _draft(anna)
    assert study.state == StudyState.DRAFT
    assert study.lead_region is not None and study.lead_region.code == "03"
    site_add(study=study, by=anna, organisation=akademiska)

    with django_capture_on_commit_callbacks(execute=True):
        study_submit(study=study, by=anna, note="Ready")
    assert study.state == StudyState.SUBMITTED
    assert [m.to for m in mail.outbox] == [["ulla@test.example"]]
    assert mail.outbox[0].subject.startswith("Studie inskickad för granskning")

    with django_capture_on_commit_callbacks(execute=True):
        study_return(study=study, by=ulla, comment="Add the ethics case number.")
    study.refresh_from_db()
    assert study.state == StudyState.RETURNED
    assert study.review_comment == "Add the ethics case number."
    assert mail.outbox[-1].to == ["anna@test.example"]
    assert mail.outbox[-1].subject.startswith("Study returned with comments")
    assert "Add the ethics case number." in mail.outbox[-1].body

    study_submit(study=study, by=anna, note="Case number added")
    with django_capture_on_commit_callbacks(execute=True):
        study_publish(study=study, by=ulla, reason="Quality checked")
    study.refresh_from_db()
    assert study.state == StudyState.PUBLISHED
    assert study.published_at is not None and study.status_confirmed_at is not None
    assert study.review_comment == ""
    assert mail.outbox[-1].subject.startswith("Study published")

    study_close(study=study, by=ulla, state=StudyState.COMPLETED, reason="Last visit done")
    study.refresh_from_db()
    assert study.state == StudyState.COMPLETED
    assert study.overall_status == "completed"
    assert study.sites.get().recruitment_status == SiteStatus.CLOSED
    assert list(study.versions.values_list("number", "reason")) == [
        (1, "Quality checked"),
        (2, "Last visit done"),
    ]
    assert _actions(study) == [
        ("study.create", ""),
        ("study.submit", "Ready"),
        ("study.return", "Add the ethics case number."),
        ("study.submit", "Case number added"),
        ("study.publish", "Quality checked"),
        ("study.completed", "Last visit done"),
    ]


def test_coordinator_of_another_region_cannot_review(
    anna: User, bertil: User, akademiska: Organisation
) -> None:
    study = _draft(anna)
    site_add(study=study, by=anna, organisation=akademiska)
    study_submit(study=study, by=anna)
    for step in (
        lambda: study_publish(study=study, by=bertil),
        lambda: study_return(study=study, by=bertil, comment="No"),
        lambda: study_close(study=study, by=bertil, state=StudyState.WITHDRAWN, reason="No"),
    ):
        with pytest.raises(PermissionDenied):
            step()
    study.refresh_from_db()
    assert study.state == StudyState.SUBMITTED
    assert not AuditEvent.objects.filter(actor=bertil).exists()


def test_coordinator_of_a_region_with_a_site_can_publish(
    anna: User, bertil: User, akademiska: Organisation, uso: Organisation
) -> None:
    study = _draft(anna)
    site_add(study=study, by=anna, organisation=uso)
    study_submit(study=study, by=anna)
    study_publish(study=study, by=bertil, reason="Örebro site checked")
    assert study.state == StudyState.PUBLISHED


def test_researcher_cannot_publish_her_own_study(anna: User) -> None:
    study = _draft(anna)
    study_submit(study=study, by=anna)
    with pytest.raises(PermissionDenied):
        study_publish(study=study, by=anna)
    study.refresh_from_db()
    assert study.state == StudyState.SUBMITTED


def test_sponsor_cannot_register_or_submit_studies(anna: User, david: User) -> None:
    with pytest.raises(PermissionDenied):
        _draft(david)
    study = _draft(anna)
    with pytest.raises(PermissionDenied):
        study_submit(study=study, by=david)


def test_returning_needs_a_comment_and_a_submitted_study(anna: User, ulla: User) -> None:
    study = _draft(anna)
    study_submit(study=study, by=anna)
    with pytest.raises(ValidationFailed) as error:
        study_return(study=study, by=ulla, comment="  ")
    assert error.value.field == "comment"
    study_return(study=study, by=ulla, comment="Fix the title")
    with pytest.raises(InvalidTransition):
        study_return(study=study, by=ulla, comment="Again")
    study.refresh_from_db()
    assert study.review_comment == "Fix the title"


def test_closing_needs_a_reason(anna: User, ulla: User, akademiska: Organisation) -> None:
    study = _published(anna, ulla, akademiska)
    with pytest.raises(ValidationFailed) as error:
        study_close(study=study, by=ulla, state=StudyState.COMPLETED, reason="")
    assert error.value.field == "reason"


def test_researchers_change_to_a_published_study_waits_and_approval_publishes_a_version(
    anna: User, ulla: User, akademiska: Organisation, django_capture_on_commit_callbacks: Capture
) -> None:
    study = _published(anna, ulla, akademiska)
    with django_capture_on_commit_callbacks(execute=True):
        change = study_update(
            study=study,
            by=anna,
            data={"summary_sv": "Nu även för anhöriga.", "target_enrolment": 120},
            reason="Relatives may join",
        )
    assert isinstance(change, ChangeRequest)
    assert change.status == ChangeStatus.PENDING
    assert change.changes == {"summary_sv": "Nu även för anhöriga.", "target_enrolment": 120}
    assert mail.outbox[-1].to == ["ulla@test.example"]
    study.refresh_from_db()
    assert study.summary_sv == "Vi prövar om träning hjälper vid hjärtsvikt."
    assert study.versions.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        change_approve(change=change, by=ulla, reason="Looks right")
    study.refresh_from_db()
    assert study.summary_sv == "Nu även för anhöriga."
    assert study.target_enrolment == 120
    versions = list(study.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].data["summary_sv"] == "Vi prövar om träning hjälper vid hjärtsvikt."
    assert versions[1].data["summary_sv"] == "Nu även för anhöriga."
    assert mail.outbox[-1].to == ["anna@test.example"]
    assert ("study.change_approve", "Looks right") in _actions(study)
    with pytest.raises(InvalidTransition):
        change_approve(change=change, by=ulla)


def test_second_change_joins_the_pending_one(
    anna: User, ulla: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    study_update(study=study, by=anna, data={"acronym": "TRÄNA"}, reason="Acronym")
    study_update(study=study, by=anna, data={"target_enrolment": 80}, reason="Target")
    pending = ChangeRequest.objects.get(study=study, status=ChangeStatus.PENDING)
    assert pending.changes == {"acronym": "TRÄNA", "target_enrolment": 80}


def test_rejecting_a_change_needs_a_reason_and_a_reviewer(
    anna: User, bertil: User, ulla: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    change = change_propose(study=study, by=anna, changes={"acronym": "X"}, note="n")
    with pytest.raises(PermissionDenied):
        change_reject(change=change, by=bertil, reason="No")
    with pytest.raises(ValidationFailed):
        change_reject(change=change, by=ulla, reason=" ")
    change_reject(change=change, by=ulla, reason="Not an acronym")
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    study.refresh_from_db()
    assert study.acronym == ""


def test_coordinator_changes_a_published_study_at_once_with_a_reason(
    anna: User, ulla: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    with pytest.raises(ValidationFailed) as error:
        study_update(study=study, by=ulla, data={"acronym": "TRÄNA"})
    assert error.value.field == "reason"
    result = study_update(study=study, by=ulla, data={"acronym": "TRÄNA"}, reason="Typo")
    assert isinstance(result, Study) and result.acronym == "TRÄNA"
    assert study.versions.count() == 2


def test_update_with_an_unknown_field_is_refused_naming_it(anna: User) -> None:
    study = _draft(anna)
    with pytest.raises(ValidationFailed) as error:
        study_update(study=study, by=anna, data={"no_such_field": 1})
    assert error.value.field == "no_such_field"


def test_update_with_an_invalid_value_names_the_field_and_writes_nothing(anna: User) -> None:
    study = _draft(anna)
    with pytest.raises(ValidationFailed) as error:
        study_update(study=study, by=anna, data={"public_contact_email": "not-an-address"})
    assert error.value.field == "public_contact_email"
    study.refresh_from_db()
    assert study.public_contact_email == ""


def test_site_staff_set_recruitment_directly_and_lowering_needs_a_reason(
    anna: User, ulla: User, nina: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    site = study.sites.get()
    site_set_recruitment(
        site=site, by=nina, status="recruiting", actual_enrolment=10, reported_on=date(2025, 3, 1)
    )
    study.refresh_from_db()
    assert study.actual_enrolment == 10
    assert study.versions.count() == 2
    with pytest.raises(ValidationFailed) as error:
        site_set_recruitment(site=site, by=nina, status="recruiting", actual_enrolment=8)
    assert error.value.field == "reason"
    site_set_recruitment(
        site=site,
        by=nina,
        status="suspended",
        actual_enrolment=8,
        reported_on=date(2025, 4, 1),
        reason="Two withdrew consent",
    )
    site.refresh_from_db()
    assert site.recruitment_status == SiteStatus.PAUSED and site.actual_enrolment == 8
    reports = EnrolmentReport.objects.filter(site=site).order_by("reported_on")
    assert list(reports.values_list("reported_on", "actual_enrolment")) == [
        (date(2025, 3, 1), 10),
        (date(2025, 4, 1), 8),
    ]
    assert study.versions.count() == 3
    assert AuditEvent.objects.filter(
        action="site.set_recruitment", reason="Two withdrew consent"
    ).exists()
    assert not ChangeRequest.objects.exists()


def test_site_staff_of_another_site_and_bad_statuses_are_refused(
    anna: User, ulla: User, bertil: User, nina: User, akademiska: Organisation, uso: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    site_add(study=study, by=ulla, organisation=uso)
    orebro_site = study.sites.get(organisation=uso)
    with pytest.raises(PermissionDenied):
        site_set_recruitment(site=orebro_site, by=nina, status="recruiting")
    akademiska_site = study.sites.get(organisation=akademiska)
    with pytest.raises(ValidationFailed) as error:
        site_set_recruitment(site=akademiska_site, by=nina, status="open")
    assert error.value.field == "recruitment_status"
    bertil_site = site_set_recruitment(site=orebro_site, by=bertil, status="recruiting")
    assert bertil_site.recruitment_status == SiteStatus.RECRUITING


def test_identifier_in_use_is_refused_naming_the_study(anna: User) -> None:
    first = _draft(anna, public_title="Kolkicin efter hjärtinfarkt")
    second = _draft(anna)
    added = identifier_add(study=first, by=anna, scheme="nct", value="nct02552212")
    assert isinstance(added, StudyIdentifier) and added.value == "NCT02552212"
    with pytest.raises(ValidationFailed) as error:
        identifier_add(study=second, by=anna, scheme="nct", value="NCT02552212")
    assert error.value.code == "identifier_in_use"
    assert str(first.pk) in error.value.message
    assert "Kolkicin efter hjärtinfarkt" in error.value.message
    assert not second.identifiers.exists()


def test_identifier_with_a_bad_format_or_unknown_scheme_is_refused(anna: User) -> None:
    study = _draft(anna)
    with pytest.raises(ValidationFailed) as error:
        identifier_add(study=study, by=anna, scheme="nct", value="NCT123")
    assert error.value.code == "nct_format"
    with pytest.raises(ValidationFailed) as error:
        identifier_add(study=study, by=anna, scheme="doi", value="10.1000/1")
    assert error.value.field == "scheme"
    with pytest.raises(ValidationFailed) as error:
        identifier_add(study=study, by=anna, scheme="local", value="FoU-17")
    assert error.value.field == "region"
    assert not study.identifiers.exists()


def test_merge_moves_sites_and_identifiers_and_archives_the_duplicate(
    anna: User, cecilia: User, ulla: User, akademiska: Organisation, uso: Organisation
) -> None:
    keep = _published(anna, ulla, akademiska)
    identifier_add(study=keep, by=ulla, scheme="nct", value="NCT02552212")
    duplicate = _draft(anna)
    site_add(study=duplicate, by=anna, organisation=akademiska)
    site_add(study=duplicate, by=anna, organisation=uso)
    identifier_add(study=duplicate, by=anna, scheme="ethics", value="2023-01234-01")
    merge = study_merge(keep=keep, duplicate=duplicate, by=cecilia, reason="Same trial")
    duplicate.refresh_from_db()
    assert duplicate.state == StudyState.ARCHIVED and duplicate.merged_into == keep
    assert sorted(keep.sites.values_list("organisation__name", flat=True)) == [
        "Akademiska sjukhuset",
        "Universitetssjukhuset Örebro",
    ]
    assert sorted(keep.identifiers.values_list("value", flat=True)) == [
        "2023-01234-01",
        "NCT02552212",
    ]
    assert Merge.objects.get() == merge
    assert merge.duplicate_snapshot["public_title"] == duplicate.public_title
    assert ("study.merge", "Same trial") in _actions(keep)
    assert ("study.merged_into", "Same trial") in _actions(duplicate)
    assert keep.versions.count() == 3  # published, identifier added, merged
    with pytest.raises(InvalidTransition):
        study_merge(keep=keep, duplicate=duplicate, by=cecilia, reason="Again")


def test_merge_needs_a_reviewer_of_both_studies_and_a_reason(
    anna: User, bertil: User, cecilia: User, ulla: User, akademiska: Organisation
) -> None:
    keep = _published(anna, ulla, akademiska)
    duplicate = _draft(anna)
    with pytest.raises(PermissionDenied):
        study_merge(keep=keep, duplicate=duplicate, by=bertil, reason="Same")
    with pytest.raises(ValidationFailed):
        study_merge(keep=keep, duplicate=duplicate, by=cecilia, reason="")
    with pytest.raises(ValidationFailed):
        study_merge(keep=keep, duplicate=keep, by=cecilia, reason="Same")
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


# A published record's sites, identifiers and conditions change through the coordinator too.


def _pending(study: Study) -> ChangeRequest:
    return ChangeRequest.objects.get(study=study, status=ChangeStatus.PENDING)


def test_researcher_adding_site_to_published_study_waits_for_coordinator(
    anna: User, ulla: User, akademiska: Organisation, uso: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    result = site_add(study=study, by=anna, organisation=uso, principal_investigator="Dr Ek")
    assert isinstance(result, ChangeRequest)
    assert list(study.sites.values_list("organisation__name", flat=True)) == [
        "Akademiska sjukhuset"
    ]
    assert study.versions.count() == 1
    assert _pending(study).changes["sites"] == {str(uso.pk): {"principal_investigator": "Dr Ek"}}
    assert not AuditEvent.objects.filter(
        action="site.add", object_label__contains="Örebro"
    ).exists()


def test_researcher_changing_site_contact_email_waits_for_coordinator(
    anna: User, ulla: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    site = study.sites.get()
    result = site_update(site=site, by=anna, contact_email="fel@attacker.example")
    assert isinstance(result, ChangeRequest)
    site.refresh_from_db()
    assert site.contact_email == ""
    assert study.versions.count() == 1
    assert _pending(study).changes == {
        "sites": {str(akademiska.pk): {"contact_email": "fel@attacker.example"}}
    }


def test_researcher_adding_identifier_to_published_study_waits_for_coordinator(
    anna: User, ulla: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    result = identifier_add(study=study, by=anna, scheme="nct", value="nct02552212")
    assert isinstance(result, ChangeRequest)
    assert not study.identifiers.exists()
    assert _pending(study).changes["identifiers"] == [
        {"scheme": "nct", "value": "NCT02552212", "region": None, "is_primary": False}
    ]


def test_researcher_changing_conditions_of_published_study_waits_for_coordinator(
    anna: User, ulla: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    result = study_set_conditions(study=study, by=anna, conditions=[("Hjärtsvikt", "i50")])
    assert isinstance(result, ChangeRequest)
    assert not study.conditions.exists()
    study.refresh_from_db()
    assert study.therapeutic_area == ""
    assert _pending(study).changes == {"conditions": [{"name": "Hjärtsvikt", "icd10": "I50"}]}


def test_researcher_changing_interventions_and_outcomes_of_published_study_waits(
    anna: User, ulla: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    study_set_interventions(study=study, by=anna, interventions=[("drug", "Dapagliflozin", "")])
    study_set_outcomes(study=study, by=anna, outcomes=[("primary", "Död", "12 månader")])
    assert not study.interventions.exists() and not study.outcomes.exists()
    assert set(_pending(study).changes) == {"interventions", "outcomes"}
    assert study.versions.count() == 1


def test_coordinator_approval_applies_pending_sites_and_identifiers(
    anna: User, ulla: User, akademiska: Organisation, uso: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    site_add(study=study, by=anna, organisation=uso, principal_investigator="Dr Ek")
    site_update(site=study.sites.get(), by=anna, contact_email="studie@akademiska.example")
    identifier_add(study=study, by=anna, scheme="nct", value="NCT02552212")
    study_set_conditions(study=study, by=anna, conditions=[("Hjärtsvikt", "I50")])
    study_update(study=study, by=anna, data={"acronym": "TRÄNA"}, reason="New sites")
    change = _pending(study)
    labels = [label for _field, label, _now, _proposed in change_diff(change)]
    assert any("Universitetssjukhuset Örebro" in label for label in labels)
    assert any("Akademiska sjukhuset" in label for label in labels)

    change_approve(change=change, by=ulla, reason="Checked")
    study.refresh_from_db()
    assert study.acronym == "TRÄNA"
    assert study.therapeutic_area == "IX"
    sites = {s.organisation.name: s for s in study.sites.select_related("organisation")}
    assert sites["Universitetssjukhuset Örebro"].principal_investigator == "Dr Ek"
    assert sites["Universitetssjukhuset Örebro"].region is not None
    assert sites["Akademiska sjukhuset"].contact_email == "studie@akademiska.example"
    assert list(study.identifiers.values_list("value", flat=True)) == ["NCT02552212"]
    assert [c.icd10 for c in study.conditions.all()] == ["I50"]
    # One new public version with everything, and an audit event for each kind of change.
    versions = list(study.versions.order_by("number"))
    assert len(versions) == 2
    assert len(versions[1].data["sites"]) == 2
    assert versions[1].data["identifiers"][0]["value"] == "NCT02552212"
    actions = set(AuditEvent.objects.filter(actor=ulla).values_list("action", flat=True))
    assert {
        "site.add",
        "site.update",
        "study.identifier_add",
        "study.set_conditions",
        "study.change_approve",
    } <= actions


def test_rejected_pending_sites_and_identifiers_leave_the_record(
    anna: User, ulla: User, akademiska: Organisation, uso: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    site_add(study=study, by=anna, organisation=uso)
    identifier_add(study=study, by=anna, scheme="nct", value="NCT02552212")
    change_reject(change=_pending(study), by=ulla, reason="Wrong study")
    assert study.sites.count() == 1
    assert not study.identifiers.exists()
    assert study.versions.count() == 1


def test_approval_writes_nothing_when_a_pending_identifier_was_taken_meanwhile(
    anna: User, ulla: User, akademiska: Organisation, uso: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    site_add(study=study, by=anna, organisation=uso)
    identifier_add(study=study, by=anna, scheme="nct", value="NCT02552212")
    other = _draft(anna, public_title="En annan studie")
    identifier_add(study=other, by=anna, scheme="nct", value="NCT02552212")
    with pytest.raises(ValidationFailed) as error:
        change_approve(change=_pending(study), by=ulla)
    assert error.value.code == "identifier_in_use"
    assert study.sites.count() == 1
    assert _pending(study).status == ChangeStatus.PENDING
    assert study.versions.count() == 1


def test_approval_skips_an_identifier_the_coordinator_added_meanwhile(
    anna: User, ulla: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    identifier_add(study=study, by=anna, scheme="nct", value="NCT02552212")
    identifier_add(study=study, by=ulla, scheme="nct", value="NCT02552212")
    change_approve(change=_pending(study), by=ulla)
    assert list(study.identifiers.values_list("value", flat=True)) == ["NCT02552212"]


def test_no_change_can_be_proposed_to_an_unpublished_record(anna: User) -> None:
    study = _draft(anna)
    with pytest.raises(InvalidTransition):
        change_propose(study=study, by=anna, changes={"acronym": "X"})
    assert not ChangeRequest.objects.exists()


def test_coordinator_adds_site_and_identifier_to_published_study_at_once(
    anna: User, ulla: User, akademiska: Organisation, uso: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    site = site_add(study=study, by=ulla, organisation=uso)
    assert isinstance(site, Site)
    identifier = identifier_add(study=study, by=ulla, scheme="nct", value="NCT02552212")
    assert isinstance(identifier, StudyIdentifier)
    assert study.versions.count() == 3
    assert not ChangeRequest.objects.exists()


def test_site_staff_can_set_recruitment_status_directly(
    anna: User, ulla: User, nina: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    site = site_set_recruitment(
        site=study.sites.get(), by=nina, status="recruiting", actual_enrolment=3
    )
    assert site.recruitment_status == SiteStatus.RECRUITING and site.actual_enrolment == 3
    assert study.versions.count() == 2
    assert not ChangeRequest.objects.exists()


def test_site_staff_cannot_change_site_contact(
    anna: User, ulla: User, nina: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    site = study.sites.get()
    result = site_update(site=site, by=nina, contact_email="fel@attacker.example")
    assert isinstance(result, ChangeRequest)
    site.refresh_from_db()
    assert site.contact_email == ""
    assert study.versions.count() == 1


def test_site_staff_cannot_add_sites_identifiers_or_conditions(
    anna: User, ulla: User, nina: User, akademiska: Organisation, uso: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    for step in (
        lambda: site_add(study=study, by=nina, organisation=uso),
        lambda: identifier_add(study=study, by=nina, scheme="nct", value="NCT02552212"),
        lambda: study_set_conditions(study=study, by=nina, conditions=[("Hjärtsvikt", "")]),
        lambda: change_propose(study=study, by=nina, changes={"acronym": "X"}),
    ):
        with pytest.raises(PermissionDenied):
            step()
    assert not ChangeRequest.objects.exists()


def test_site_staff_cannot_change_the_site_details_of_a_draft(
    anna: User, nina: User, akademiska: Organisation
) -> None:
    study = _draft(anna)
    site = site_add(study=study, by=anna, organisation=akademiska)
    assert isinstance(site, Site)
    with pytest.raises(PermissionDenied):
        site_update(site=site, by=nina, contact_email="fel@attacker.example")
    site.refresh_from_db()
    assert site.contact_email == ""


def test_site_update_refuses_recruitment_fields_which_have_their_own_step(
    anna: User, ulla: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    with pytest.raises(ValidationFailed) as error:
        site_update(site=study.sites.get(), by=ulla, actual_enrolment=500)
    assert error.value.field == "actual_enrolment"


def test_coordinator_of_another_region_cannot_propose_changes(
    anna: User, ulla: User, bertil: User, akademiska: Organisation
) -> None:
    study = _published(anna, ulla, akademiska)
    with pytest.raises(PermissionDenied):
        change_propose(study=study, by=bertil, changes={"acronym": "X"})
    with pytest.raises(PermissionDenied):
        site_update(site=study.sites.get(), by=bertil, contact_email="fel@attacker.example")
    assert not ChangeRequest.objects.exists()


@pytest.mark.usefixtures("english")
def test_identifier_of_a_study_she_may_not_see_is_refused_without_naming_it(
    anna: User, bertil: User
) -> None:
    orebro_draft = _draft(bertil, public_title="Hemlig läkemedelsstudie i Örebro")
    identifier_add(study=orebro_draft, by=bertil, scheme="nct", value="NCT02552212")
    study = _draft(anna)
    with pytest.raises(ValidationFailed) as error:
        identifier_add(study=study, by=anna, scheme="nct", value="NCT02552212")
    assert error.value.code == "identifier_in_use"
    assert "Hemlig" not in error.value.message
    assert f"#{orebro_draft.pk}" not in error.value.message
    assert "NCT02552212" in error.value.message
    assert not study.identifiers.exists()


@pytest.mark.usefixtures("english")
def test_coordinator_who_sees_the_holder_gets_its_name(anna: User, bertil: User) -> None:
    orebro_draft = _draft(bertil, public_title="Hemlig läkemedelsstudie i Örebro")
    identifier_add(study=orebro_draft, by=bertil, scheme="nct", value="NCT02552212")
    other = _draft(bertil)
    with pytest.raises(ValidationFailed) as error:
        identifier_add(study=other, by=bertil, scheme="nct", value="NCT02552212")
    assert f"#{orebro_draft.pk}" in error.value.message
    assert "Hemlig läkemedelsstudie i Örebro" in error.value.message
