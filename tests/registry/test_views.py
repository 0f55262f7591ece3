"""The registry's staff pages and the public record history, told with the named people."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from studienav.core.models import Region, Role, User
from studienav.registry import services, views
from studienav.registry.dashboard import dashboard_panels
from studienav.registry.models import (
    ChangeRequest,
    ChangeStatus,
    Merge,
    Site,
    Study,
    StudyState,
    StudyVersion,
)
from tests.factories import OrganisationFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

SignIn = Callable[[Client, User], Client]

DRAFT = {
    "public_title": "Hjärtsviktsstudien",
    "study_type": "drug",
    "sponsor_type": "academic",
    "phase": "na",
    "sex": "all",
    "overall_status": "not_yet_recruiting",
    "ethics_status": "pending",
    "ipd_sharing": "undecided",
    "conditions-TOTAL_FORMS": "2",
    "conditions-INITIAL_FORMS": "0",
    "interventions-TOTAL_FORMS": "1",
    "interventions-INITIAL_FORMS": "0",
    "outcomes-TOTAL_FORMS": "1",
    "outcomes-INITIAL_FORMS": "0",
    "outcomes-0-kind": "primary",
}


def _form_data(study: Study, **changes: Any) -> dict[str, Any]:
    """The edit form as the page would post it, with some fields changed."""
    data: dict[str, Any] = {}
    for name in ("public_title", "study_type", "sponsor_type", "phase", "sex"):
        data[name] = getattr(study, name)
    data.update(
        overall_status=study.overall_status,
        ethics_status=study.ethics_status,
        ipd_sharing=study.ipd_sharing,
        ethics_committee=study.ethics_committee,
        in_hospital_care="on",
        **{
            "conditions-TOTAL_FORMS": "0",
            "conditions-INITIAL_FORMS": "0",
            "interventions-TOTAL_FORMS": "0",
            "interventions-INITIAL_FORMS": "0",
            "outcomes-TOTAL_FORMS": "0",
            "outcomes-INITIAL_FORMS": "0",
        },
    )
    if study.lead_region_id:
        data["lead_region"] = study.lead_region_id
    data.update(changes)
    return data


@pytest.fixture
def ulla(db: None, uppsala: Region) -> User:
    """Node coordinator for Region Uppsala."""
    user = UserFactory.create(email="ulla@test.example", full_name="Ulla Lind")
    RoleFactory.create(user=user, role=Role.NODE_COORDINATOR, region=uppsala)
    return user


@pytest.fixture
def erik(db: None, uppsala: Region) -> User:
    """Another researcher in Uppsala, not an editor of anna's study."""
    user = UserFactory.create(email="erik@test.example", full_name="Erik Sand")
    RoleFactory.create(user=user, role=Role.RESEARCHER, organisation=OrganisationFactory.create())
    return user


@pytest.fixture
def study(anna: User) -> Study:
    """Anna's draft, led from Uppsala."""
    return services.study_create(
        by=anna,
        data={
            "public_title": "Hjärtsviktsstudien",
            "study_type": "drug",
            "sponsor_type": "academic",
        },
    )


@pytest.fixture
def published(study: Study, ulla: User) -> Study:
    services.study_publish(study=study, by=ulla, reason="Checked")
    study.refresh_from_db()
    return study


@pytest.fixture
def site(study: Study, ulla: User) -> Site:
    """A site of anna's study, added by the coordinator (at once, published or not)."""
    hospital = OrganisationFactory.create(name="Lasarettet i Enköping", city="Enköping")
    added = services.site_add(study=study, by=ulla, organisation=hospital, target_enrolment=20)
    assert isinstance(added, Site)
    return added


@pytest.fixture
def nina(db: None, site: Site) -> User:
    """Research nurse (site staff) at the study's site in Enköping."""
    user = UserFactory.create(email="nina@test.example", full_name="Nina Holm")
    RoleFactory.create(user=user, role=Role.SITE_STAFF, organisation=site.organisation)
    return user


def test_researcher_saves_a_draft_with_only_title_study_type_and_sponsor_type(
    client: Client, signed_in: SignIn, anna: User
) -> None:
    signed_in(client, anna)
    response = client.post(reverse("registry:study_create"), DRAFT)
    assert response.status_code == 302
    study = Study.objects.get()
    assert study.state == StudyState.DRAFT
    assert study.public_title == "Hjärtsviktsstudien"
    assert study.editors.filter(pk=anna.pk).exists()
    assert response["Location"] == study.get_absolute_url()


def test_new_study_form_is_grouped_in_who_sections_with_help(
    client: Client, signed_in: SignIn, anna: User
) -> None:
    signed_in(client, anna)
    response = client.get(reverse("registry:study_create"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Eligibility" in text or "Behörighet" in text or 'id="section-eligibility"' in text
    assert 'id="section-ethics"' in text
    assert "WHO 9." in text


def test_draft_without_title_is_refused_naming_the_field_and_nothing_is_written(
    client: Client, signed_in: SignIn, anna: User
) -> None:
    signed_in(client, anna)
    response = client.post(reverse("registry:study_create"), {**DRAFT, "public_title": ""})
    assert response.status_code == 422
    assert "public_title" in response.context["form"].errors
    assert 'href="#id_public_title"' in response.content.decode()
    assert not Study.objects.exists()


def test_dates_and_ages_out_of_order_are_named_at_the_later_field(
    client: Client, signed_in: SignIn, anna: User
) -> None:
    signed_in(client, anna)
    data = {
        **DRAFT,
        "planned_start_date": "2026-05-01",
        "planned_end_date": "2025-01-01",
        "min_age_years": "60",
        "max_age_years": "18",
    }
    response = client.post(reverse("registry:study_create"), data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "planned_end_date" in errors
    assert "max_age_years" in errors
    assert not Study.objects.exists()


def test_condition_with_a_wrong_icd10_code_is_refused_and_nothing_is_written(
    client: Client, signed_in: SignIn, anna: User
) -> None:
    signed_in(client, anna)
    data = {**DRAFT, "conditions-0-name": "Hjärtsvikt", "conditions-0-icd10": "X999"}
    response = client.post(reverse("registry:study_create"), data)
    assert response.status_code == 422
    assert "icd10" in response.context["conditions"].forms[0].errors
    assert not Study.objects.exists()


def test_conditions_and_interventions_are_saved_with_the_draft(
    client: Client, signed_in: SignIn, anna: User
) -> None:
    signed_in(client, anna)
    data = {
        **DRAFT,
        "conditions-0-name": "Hjärtsvikt",
        "conditions-0-icd10": "i50",
        "interventions-0-type": "drug",
        "interventions-0-name": "Dapagliflozin",
        "outcomes-0-kind": "primary",
        "outcomes-0-measure": "Död oavsett orsak",
        "outcomes-0-time_frame": "12 månader",
    }
    assert client.post(reverse("registry:study_create"), data).status_code == 302
    study = Study.objects.get()
    assert [(c.name, c.icd10) for c in study.conditions.all()] == [("Hjärtsvikt", "I50")]
    assert study.therapeutic_area == "IX"
    assert [i.name for i in study.interventions.all()] == ["Dapagliflozin"]
    assert [(o.kind, o.time_frame) for o in study.outcomes.all()] == [("primary", "12 månader")]


def test_sponsor_cannot_register_studies(client: Client, signed_in: SignIn, david: User) -> None:
    signed_in(client, david)
    assert client.get(reverse("registry:study_create")).status_code == 403


@pytest.mark.parametrize("person", ["anna", "ulla", "cecilia"])
def test_editor_coordinator_of_the_region_and_node_office_open_the_staff_study_page(
    client: Client, signed_in: SignIn, study: Study, person: str, request: pytest.FixtureRequest
) -> None:
    signed_in(client, request.getfixturevalue(person))
    response = client.get(reverse("registry:study", args=[study.pk]))
    assert response.status_code == 200
    assert "Hjärtsviktsstudien" in response.content.decode()


@pytest.mark.parametrize("person", ["bertil", "erik", "david"])
def test_wrong_people_get_404_on_the_staff_pages_of_a_study(
    client: Client, signed_in: SignIn, published: Study, person: str, request: pytest.FixtureRequest
) -> None:
    signed_in(client, request.getfixturevalue(person))
    for name in ("registry:study", "registry:study_edit", "registry:identifier_add"):
        assert client.get(reverse(name, args=[published.pk])).status_code == 404, name
    assert client.get(reverse("registry:site_add", args=[published.pk])).status_code == 404


def test_coordinator_of_another_region_cannot_publish(
    client: Client, signed_in: SignIn, study: Study, bertil: User
) -> None:
    signed_in(client, bertil)
    response = client.post(reverse("registry:study_publish", args=[study.pk]), {"reason": "ok"})
    assert response.status_code == 404
    study.refresh_from_db()
    assert study.state == StudyState.DRAFT


def test_researcher_submits_and_the_coordinator_returns_then_publishes(
    client: Client, signed_in: SignIn, study: Study, anna: User, ulla: User
) -> None:
    signed_in(client, anna)
    response = client.post(reverse("registry:study_submit", args=[study.pk]), {"note": "Klar"})
    assert response.status_code == 302
    study.refresh_from_db()
    assert study.state == StudyState.SUBMITTED
    # A researcher cannot publish her own study.
    assert client.post(reverse("registry:study_publish", args=[study.pk])).status_code == 403

    signed_in(client, ulla)
    empty = client.post(reverse("registry:study_return", args=[study.pk]), {"comment": ""})
    assert empty.status_code == 422
    assert "comment" in empty.context["return_form"].errors
    study.refresh_from_db()
    assert study.state == StudyState.SUBMITTED

    returned = client.post(
        reverse("registry:study_return", args=[study.pk]), {"comment": "Lägg till kontakt"}
    )
    assert returned.status_code == 302
    study.refresh_from_db()
    assert study.state == StudyState.RETURNED

    published = client.post(reverse("registry:study_publish", args=[study.pk]), {"reason": ""})
    assert published.status_code == 302
    study.refresh_from_db()
    assert study.state == StudyState.PUBLISHED
    assert study.versions.count() == 1


def test_close_needs_a_reason(
    client: Client, signed_in: SignIn, published: Study, ulla: User
) -> None:
    signed_in(client, ulla)
    url = reverse("registry:study_close", args=[published.pk])
    response = client.post(url, {"state": "withdrawn", "reason": ""})
    assert response.status_code == 422
    assert "reason" in response.context["close_form"].errors
    assert client.post(url, {"state": "completed", "reason": "Klar"}).status_code == 302
    published.refresh_from_db()
    assert published.state == StudyState.COMPLETED


def test_confirm_status(client: Client, signed_in: SignIn, published: Study, anna: User) -> None:
    signed_in(client, anna)
    before = published.status_confirmed_at
    assert client.post(reverse("registry:study_confirm", args=[published.pk])).status_code == 302
    published.refresh_from_db()
    after = published.status_confirmed_at
    assert before is not None and after is not None and after > before


@pytest.mark.usefixtures("english")
def test_researchers_change_to_a_published_study_waits_and_the_public_record_stays(
    client: Client, signed_in: SignIn, published: Study, anna: User
) -> None:
    signed_in(client, anna)
    page = client.get(reverse("registry:study_edit", args=[published.pk]))
    assert "waits for approval" in page.content.decode()
    data = _form_data(published, public_title="Hjärtsviktsstudien 2")
    response = client.post(reverse("registry:study_edit", args=[published.pk]), data)
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.public_title == "Hjärtsviktsstudien"
    change = ChangeRequest.objects.get(study=published)
    assert change.status == ChangeStatus.PENDING
    assert change.changes == {"public_title": "Hjärtsviktsstudien 2"}
    assert published.versions.count() == 1


def test_coordinator_approves_the_change_and_the_public_history_shows_both_versions(
    client: Client, signed_in: SignIn, published: Study, anna: User, ulla: User
) -> None:
    signed_in(client, anna)
    data = _form_data(published, public_title="Hjärtsviktsstudien 2")
    client.post(reverse("registry:study_edit", args=[published.pk]), data)

    signed_in(client, ulla)
    page = client.get(reverse("registry:study", args=[published.pk]))
    assert "Hjärtsviktsstudien 2" in page.content.decode()  # the diff
    response = client.post(reverse("registry:study_approve", args=[published.pk]), {"reason": ""})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.public_title == "Hjärtsviktsstudien 2"
    assert StudyVersion.objects.filter(study=published).count() == 2

    client.logout()
    history = client.get(reverse("registry:public_history", args=[published.pk]))
    assert history.status_code == 200
    text = history.content.decode()
    assert 'id="version-1"' in text and 'id="version-2"' in text
    assert "<del>Hjärtsviktsstudien</del>" in text
    assert "<ins>Hjärtsviktsstudien 2</ins>" in text


def test_reject_needs_a_reason_and_leaves_the_record(
    client: Client, signed_in: SignIn, published: Study, anna: User, ulla: User
) -> None:
    services.study_update(study=published, by=anna, data={"acronym": "HF"})
    signed_in(client, ulla)
    url = reverse("registry:study_reject", args=[published.pk])
    assert client.post(url, {"reason": ""}).status_code == 422
    assert client.post(url, {"reason": "Fel akronym"}).status_code == 302
    published.refresh_from_db()
    assert published.acronym == ""
    assert ChangeRequest.objects.get().status == ChangeStatus.REJECTED


def test_coordinator_edits_a_published_record_directly_with_a_reason(
    client: Client, signed_in: SignIn, published: Study, ulla: User
) -> None:
    signed_in(client, ulla)
    url = reverse("registry:study_edit", args=[published.pk])
    no_reason = client.post(url, _form_data(published, acronym="HF"))
    assert no_reason.status_code == 422
    assert "reason" in no_reason.context["form"].errors
    assert client.post(url, _form_data(published, acronym="HF", reason="Rättat")).status_code == 302
    published.refresh_from_db()
    assert published.acronym == "HF"
    assert published.versions.count() == 2


def test_public_history_is_public_for_published_studies_only(
    client: Client, study: Study, ulla: User
) -> None:
    assert client.get(reverse("registry:public_history", args=[study.pk])).status_code == 404
    services.study_publish(study=study, by=ulla)
    assert client.get(reverse("registry:public_history", args=[study.pk])).status_code == 200
    english = client.get(f"/en/studies/{study.pk}/history/")
    assert english.status_code == 200
    assert "Record history" in english.content.decode()


def test_anonymous_people_are_sent_to_sign_in_from_staff_pages(
    client: Client, published: Study
) -> None:
    for url in (
        reverse("registry:studies"),
        reverse("registry:study", args=[published.pk]),
        reverse("registry:queue"),
        reverse("registry:import"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/account/login/" in response["Location"]


def test_identifier_in_use_is_refused_naming_the_study_that_holds_it(
    client: Client, signed_in: SignIn, study: Study, anna: User
) -> None:
    other = services.study_create(
        by=anna,
        data={"public_title": "Tidigare studie", "study_type": "drug", "sponsor_type": "industry"},
    )
    services.identifier_add(study=other, by=anna, scheme="nct", value="NCT02552212")
    signed_in(client, anna)
    url = reverse("registry:identifier_add", args=[study.pk])
    badly_formed = client.post(url, {"scheme": "nct", "value": "NCT123"})
    assert badly_formed.status_code == 422
    assert "NCT01234567" in badly_formed.content.decode()
    in_use = client.post(url, {"scheme": "nct", "value": "nct02552212"})
    assert in_use.status_code == 422
    assert "Tidigare studie" in in_use.context["form"].errors["value"][0]
    assert not study.identifiers.exists()
    assert client.post(url, {"scheme": "nct", "value": "NCT01234567"}).status_code == 302
    assert study.identifiers.get().value == "NCT01234567"


def test_site_is_added_by_searching_organisations_with_and_without_htmx(
    client: Client, signed_in: SignIn, study: Study, anna: User
) -> None:
    hospital = OrganisationFactory.create(name="Universitetssjukhuset Örebro", city="Örebro")
    signed_in(client, anna)
    url = reverse("registry:site_add", args=[study.pk])
    page = client.get(url, {"q": "Örebro"})
    assert page.status_code == 200
    assert "Universitetssjukhuset Örebro" in page.content.decode()
    partial = client.get(url, {"q": "Universitetssjukhuset"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert "Universitetssjukhuset Örebro" in partial.content.decode()

    chosen = client.get(url, {"q": "Örebro", "organisation": str(hospital.pk)})
    assert 'name="principal_investigator"' in chosen.content.decode()
    bad = client.post(url, {"organisation": hospital.pk, "contact_email": "not-an-address"})
    assert bad.status_code == 422
    assert not study.sites.exists()
    added = client.post(url, {"organisation": hospital.pk, "principal_investigator": "Dr Ek"})
    assert added.status_code == 302
    assert study.sites.get().principal_investigator == "Dr Ek"
    twice = client.post(url, {"organisation": hospital.pk})
    assert twice.status_code == 422
    assert study.sites.count() == 1


def test_site_edit_and_recruitment_need_a_reason_when_enrolment_goes_down(
    client: Client, signed_in: SignIn, site: Site, anna: User, bertil: User
) -> None:
    signed_in(client, anna)
    edit = reverse("registry:site_edit", args=[site.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"target_enrolment": "-3"}).status_code == 422
    assert (
        client.post(edit, {"target_enrolment": "30", "principal_investigator": "Dr Ek"}).status_code
        == 302
    )
    site.refresh_from_db()
    assert site.target_enrolment == 30

    recruitment = reverse("registry:site_recruitment", args=[site.pk])
    up = client.post(recruitment, {"recruitment_status": "recruiting", "actual_enrolment": "12"})
    assert up.status_code == 302
    down = client.post(recruitment, {"recruitment_status": "recruiting", "actual_enrolment": "10"})
    assert down.status_code == 422
    assert "reason" in down.context["form"].errors
    site.refresh_from_db()
    assert site.actual_enrolment == 12
    corrected = {"recruitment_status": "recruiting", "actual_enrolment": "10", "reason": "Dubblett"}
    assert client.post(recruitment, corrected).status_code == 302
    site.refresh_from_db()
    assert site.actual_enrolment == 10

    signed_in(client, bertil)
    assert client.get(edit).status_code == 404
    assert client.get(recruitment).status_code == 404


def test_my_studies_lists_own_for_researchers_and_filters_for_coordinators(
    client: Client, signed_in: SignIn, study: Study, erik: User, ulla: User, bertil: User
) -> None:
    signed_in(client, erik)
    assert "Hjärtsviktsstudien" not in client.get(reverse("registry:studies")).content.decode()
    signed_in(client, ulla)
    listed = client.get(reverse("registry:studies"), {"state": "draft"})
    assert "Hjärtsviktsstudien" in listed.content.decode()
    filtered = client.get(reverse("registry:studies"), {"state": "published"})
    assert "Hjärtsviktsstudien" not in filtered.content.decode()
    signed_in(client, bertil)
    assert "Hjärtsviktsstudien" not in client.get(reverse("registry:studies")).content.decode()


def test_queue_shows_submitted_studies_and_pending_diffs_for_the_region_only(
    client: Client, signed_in: SignIn, published: Study, anna: User, ulla: User, bertil: User
) -> None:
    services.study_update(study=published, by=anna, data={"acronym": "HF"})
    signed_in(client, ulla)
    queue = client.get(reverse("registry:queue"))
    assert queue.status_code == 200
    assert "Hjärtsviktsstudien" in queue.content.decode()
    assert "<ins>HF</ins>" in queue.content.decode()
    signed_in(client, bertil)
    assert "Hjärtsviktsstudien" not in client.get(reverse("registry:queue")).content.decode()
    signed_in(client, anna)
    assert client.get(reverse("registry:queue")).status_code == 403


@pytest.mark.usefixtures("english")
def test_dashboard_panels_count_the_queue_and_own_studies(
    published: Study, anna: User, ulla: User, david: User
) -> None:
    services.study_update(study=published, by=anna, data={"acronym": "HF"})
    coordinator = {panel["title"]: panel["count"] for panel in dashboard_panels(ulla)}
    assert coordinator["Waiting for review"] == 1 or 1 in coordinator.values()
    researcher = dashboard_panels(anna)
    assert researcher[0]["count"] == 1
    assert dashboard_panels(david) == []


@pytest.mark.usefixtures("english")
def test_import_page_says_when_import_is_not_available(
    client: Client, signed_in: SignIn, cecilia: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "_optional_module", lambda name: None)
    signed_in(client, cecilia)
    response = client.get(reverse("registry:import"))
    assert response.status_code == 200
    assert "not available" in response.content.decode()
    assert client.get(reverse("registry:import_template", args=["xlsx"])).status_code == 404


def test_coordinator_merges_a_duplicate_and_the_merge_can_be_reviewed(
    client: Client,
    signed_in: SignIn,
    published: Study,
    site: Site,
    anna: User,
    ulla: User,
    bertil: User,
) -> None:
    twin = services.study_create(
        by=anna,
        data={
            "public_title": "Hjärtsvikt (dubblett)",
            "study_type": "drug",
            "sponsor_type": "academic",
        },
    )
    other_site = OrganisationFactory.create(name="Gävle sjukhus", city="Gävle")
    services.site_add(study=twin, by=anna, organisation=other_site)
    url = reverse("registry:merge", args=[published.pk])

    signed_in(client, bertil)
    assert client.get(url).status_code == 404

    signed_in(client, ulla)
    compare = client.get(url, {"duplicate": twin.pk})
    assert compare.status_code == 200
    assert "Hjärtsvikt (dubblett)" in compare.content.decode()
    unconfirmed = client.post(url, {"duplicate": twin.pk, "reason": "Samma studie"})
    assert unconfirmed.status_code == 422
    assert not Merge.objects.exists()
    merged = client.post(url, {"duplicate": twin.pk, "reason": "Samma studie", "confirm": "on"})
    assert merged.status_code == 302
    merge = Merge.objects.get()
    assert published.sites.count() == 2
    review = client.get(merged["Location"])
    assert review.status_code == 200
    assert "Hjärtsvikt (dubblett)" in review.content.decode()
    signed_in(client, bertil)
    assert client.get(reverse("registry:merge_detail", args=[merge.pk])).status_code == 404


@pytest.mark.usefixtures("english")
def test_study_page_shows_quality_issues_when_the_check_exists(
    client: Client, signed_in: SignIn, study: Study, ulla: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_in(client, ulla)
    url = reverse("registry:study", args=[study.pk])
    monkeypatch.setattr(views, "_optional_module", lambda name: None)
    assert "not available yet" in client.get(url).content.decode()
    issue = SimpleNamespace(
        code="no_contact", field="public_contact_name", message="No contact.", severity="error"
    )
    quality = SimpleNamespace(quality_issues=lambda s: [issue])
    monkeypatch.setattr(views, "_optional_module", lambda name: quality)
    text = client.get(url).content.decode()
    assert "No contact." in text
    assert "issue-error" in text


def test_node_office_links_to_the_full_audit_history(
    client: Client, signed_in: SignIn, published: Study, cecilia: User, anna: User
) -> None:
    history = reverse("core:history", args=["registry.study", str(published.pk)])
    signed_in(client, cecilia)
    assert history in client.get(reverse("registry:study", args=[published.pk])).content.decode()
    assert client.get(history).status_code == 200
    signed_in(client, anna)
    assert (
        history not in client.get(reverse("registry:study", args=[published.pk])).content.decode()
    )


# A published record's sites, identifiers and conditions change through the coordinator too.


def _site_post(site: Site, **changes: Any) -> dict[str, Any]:
    """The site form as the page would post it, with some fields changed."""
    data = {
        name: "" if getattr(site, name) is None else getattr(site, name)
        for name in Site.DETAIL_FIELDS
    }
    data.update(changes)
    return data


@pytest.mark.usefixtures("english")
def test_researcher_adding_site_to_published_study_waits_for_coordinator(
    client: Client, signed_in: SignIn, published: Study, anna: User, orebro: Region
) -> None:
    hospital = OrganisationFactory.create(
        name="Universitetssjukhuset Örebro", city="Örebro", region=orebro
    )
    signed_in(client, anna)
    url = reverse("registry:site_add", args=[published.pk])
    page = client.get(url, {"organisation": hospital.pk})
    assert "waits for approval" in page.content.decode()
    response = client.post(
        url, {"organisation": hospital.pk, "contact_email": "studie@uso.example"}
    )
    assert response.status_code == 302
    assert not published.sites.exists()
    change = ChangeRequest.objects.get(study=published, status=ChangeStatus.PENDING)
    assert change.changes == {"sites": {str(hospital.pk): {"contact_email": "studie@uso.example"}}}
    assert published.versions.count() == 1


def test_researcher_changing_site_contact_email_waits_for_coordinator(
    client: Client, signed_in: SignIn, published: Study, site: Site, anna: User
) -> None:
    signed_in(client, anna)
    url = reverse("registry:site_edit", args=[site.pk])
    response = client.post(url, _site_post(site, contact_email="fel@attacker.example"))
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.contact_email == ""
    change = ChangeRequest.objects.get(study=published, status=ChangeStatus.PENDING)
    assert change.changes == {
        "sites": {str(site.organisation_id): {"contact_email": "fel@attacker.example"}}
    }


def test_researcher_adding_identifier_to_published_study_waits_for_coordinator(
    client: Client, signed_in: SignIn, published: Study, anna: User
) -> None:
    signed_in(client, anna)
    url = reverse("registry:identifier_add", args=[published.pk])
    response = client.post(url, {"scheme": "nct", "value": "NCT02552212"})
    assert response.status_code == 302
    assert not published.identifiers.exists()
    change = ChangeRequest.objects.get(study=published, status=ChangeStatus.PENDING)
    assert [i["value"] for i in change.changes["identifiers"]] == ["NCT02552212"]


def test_researcher_changing_conditions_in_the_edit_form_waits_for_coordinator(
    client: Client, signed_in: SignIn, published: Study, anna: User
) -> None:
    signed_in(client, anna)
    url = reverse("registry:study_edit", args=[published.pk])
    assert 'name="conditions-0-name"' in client.get(url).content.decode()
    data = _form_data(
        published,
        **{
            "conditions-TOTAL_FORMS": "1",
            "conditions-0-name": "Hjärtsvikt",
            "conditions-0-icd10": "I50",
        },
    )
    assert client.post(url, data).status_code == 302
    assert not published.conditions.exists()
    change = ChangeRequest.objects.get(study=published, status=ChangeStatus.PENDING)
    assert change.changes == {"conditions": [{"name": "Hjärtsvikt", "icd10": "I50"}]}
    assert published.versions.count() == 1


def test_coordinator_approval_applies_pending_sites_and_identifiers(
    client: Client, signed_in: SignIn, published: Study, anna: User, ulla: User
) -> None:
    hospital = OrganisationFactory.create(name="Gävle sjukhus", city="Gävle")
    signed_in(client, anna)
    client.post(
        reverse("registry:site_add", args=[published.pk]),
        {"organisation": hospital.pk, "principal_investigator": "Dr Ek"},
    )
    client.post(
        reverse("registry:identifier_add", args=[published.pk]),
        {"scheme": "nct", "value": "NCT02552212"},
    )

    signed_in(client, ulla)
    page = client.get(reverse("registry:study", args=[published.pk])).content.decode()
    assert "Gävle sjukhus" in page and "<ins>Dr Ek</ins>" in page
    assert "NCT02552212" in page
    response = client.post(reverse("registry:study_approve", args=[published.pk]), {"reason": ""})
    assert response.status_code == 302
    assert published.sites.get().principal_investigator == "Dr Ek"
    assert published.identifiers.get().value == "NCT02552212"
    assert published.versions.count() == 2
    assert ChangeRequest.objects.get().status == ChangeStatus.APPROVED


def test_coordinator_adds_a_site_to_a_published_study_at_once(
    client: Client, signed_in: SignIn, published: Study, ulla: User
) -> None:
    hospital = OrganisationFactory.create(name="Gävle sjukhus", city="Gävle")
    signed_in(client, ulla)
    response = client.post(
        reverse("registry:site_add", args=[published.pk]), {"organisation": hospital.pk}
    )
    assert response.status_code == 302
    assert published.sites.count() == 1
    assert not ChangeRequest.objects.exists()


def test_site_staff_can_set_recruitment_status_directly(
    client: Client, signed_in: SignIn, published: Study, site: Site, nina: User
) -> None:
    signed_in(client, nina)
    url = reverse("registry:site_recruitment", args=[site.pk])
    response = client.post(url, {"recruitment_status": "recruiting", "actual_enrolment": "4"})
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.recruitment_status == "recruiting" and site.actual_enrolment == 4
    assert not ChangeRequest.objects.exists()


def test_site_staff_cannot_change_site_contact(
    client: Client, signed_in: SignIn, published: Study, site: Site, nina: User
) -> None:
    versions = published.versions.count()
    signed_in(client, nina)
    url = reverse("registry:site_edit", args=[site.pk])
    client.post(url, _site_post(site, contact_email="fel@attacker.example"))
    site.refresh_from_db()
    assert site.contact_email == ""
    assert published.versions.count() == versions


def test_site_staff_cannot_change_the_site_details_of_a_draft(
    client: Client, signed_in: SignIn, study: Study, site: Site, nina: User
) -> None:
    signed_in(client, nina)
    url = reverse("registry:site_edit", args=[site.pk])
    response = client.post(url, _site_post(site, contact_email="fel@attacker.example"))
    assert response.status_code == 403
    site.refresh_from_db()
    assert site.contact_email == ""
    assert not ChangeRequest.objects.exists()


@pytest.mark.usefixtures("english")
def test_identifier_of_another_regions_draft_is_refused_without_naming_it(
    client: Client, signed_in: SignIn, study: Study, anna: User, bertil: User
) -> None:
    orebro_draft = services.study_create(
        by=bertil,
        data={"public_title": "Hemlig studie", "study_type": "drug", "sponsor_type": "industry"},
    )
    services.identifier_add(study=orebro_draft, by=bertil, scheme="nct", value="NCT02552212")
    signed_in(client, anna)
    url = reverse("registry:identifier_add", args=[study.pk])
    response = client.post(url, {"scheme": "nct", "value": "NCT02552212"})
    assert response.status_code == 422
    message = response.context["form"].errors["value"][0]
    assert "already registered" in message
    assert "Hemlig studie" not in response.content.decode()
    assert f"#{orebro_draft.pk}" not in message
    assert not study.identifiers.exists()
