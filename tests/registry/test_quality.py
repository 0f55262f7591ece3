"""Quality checks a coordinator sees before publishing, likely duplicates, the region's counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from studienav.core.models import Organisation, Region
from studienav.registry.models import (
    EthicsStatus,
    IdentifierScheme,
    OutcomeKind,
    OverallStatus,
    Phase,
    Site,
    SiteStatus,
    Study,
    StudyState,
    StudyType,
)
from studienav.registry.quality import (
    ERROR,
    WARNING,
    likely_duplicates,
    quality_error_q,
    quality_issues,
    title_fold,
)
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TODAY = datetime(2025, 6, 15, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(TODAY, tick=False):
        yield


def _hospital(region_code: str = "03", name: str = "Akademiska sjukhuset") -> Organisation:
    region = Region.objects.get(code=region_code)
    return OrganisationFactory.create(name=name, region=region)


def _study(*, site: Organisation | None = None, **fields: Any) -> Study:
    """A study that passes every check; tests break one thing at a time."""
    data: dict[str, Any] = {
        "state": StudyState.SUBMITTED,
        "public_title": "Semaglutid vid typ 2-diabetes hos äldre",
        "public_title_en": "Semaglutide in older people with type 2 diabetes",
        "scientific_title": "A randomised trial of semaglutide in type 2 diabetes",
        "summary_sv": "Studien prövar semaglutid hos äldre med typ 2-diabetes.",
        "study_type": StudyType.DRUG,
        "phase": Phase.PHASE_3,
        "sponsor_type": "academic",
        "primary_sponsor_name": "Uppsala universitet",
        "public_contact_name": "Karin Holm",
        "public_contact_email": "karin.holm@example.org",
        "inclusion_criteria": "Typ 2-diabetes, 65 år eller äldre.",
        "target_enrolment": 200,
        "planned_start_date": date(2025, 1, 10),
        "actual_start_date": date(2025, 2, 1),
        "planned_end_date": date(2027, 12, 31),
        "overall_status": OverallStatus.RECRUITING,
        "ethics_status": EthicsStatus.APPROVED,
        "ethics_approved_on": date(2024, 11, 20),
    }
    data.update(fields)
    study = Study.objects.create(**data)
    organisation = site or _hospital()
    Site.objects.create(
        study=study,
        organisation=organisation,
        region=organisation.region,
        country=organisation.country,
        recruitment_status=SiteStatus.RECRUITING,
    )
    study.conditions.create(name="Typ 2-diabetes", icd10="E11")
    study.identifiers.create(scheme=IdentifierScheme.ETHICS, value=f"2024-0{study.pk:04d}-01")
    study.outcomes.create(kind=OutcomeKind.PRIMARY, measure="HbA1c at 12 months")
    return study


def _codes(study: Study) -> set[tuple[str, str, str]]:
    return {(i.code, i.field, i.severity) for i in quality_issues(study)}


def test_complete_study_has_no_issues() -> None:
    assert quality_issues(_study()) == []


@pytest.mark.parametrize(
    "field",
    ["public_title", "scientific_title", "summary_sv", "inclusion_criteria", "public_contact_name"],
)
def test_missing_required_text_is_an_error_naming_the_field(field: str) -> None:
    blank: dict[str, Any] = {field: ""}
    study = _study(**blank)
    issues = [i for i in quality_issues(study) if i.field == field]
    assert [(i.code, i.severity) for i in issues] == [("missing", ERROR)]
    assert "missing" in issues[0].message


def test_missing_sponsor_target_and_start_date_are_errors() -> None:
    study = _study(
        primary_sponsor_name="",
        target_enrolment=None,
        planned_start_date=None,
        actual_start_date=None,
        ethics_approved_on=date(2024, 11, 20),
    )
    codes = _codes(study)
    assert ("missing", "primary_sponsor_name", ERROR) in codes
    assert ("missing", "target_enrolment", ERROR) in codes
    assert ("missing", "planned_start_date", ERROR) in codes


def test_drug_trial_needs_a_phase_but_observational_study_does_not() -> None:
    assert ("missing", "phase", ERROR) in _codes(_study(phase=Phase.NOT_APPLICABLE))
    observational = _study(study_type=StudyType.OBSERVATIONAL, phase=Phase.NOT_APPLICABLE)
    assert not any(field == "phase" for _c, field, _s in _codes(observational))


def test_study_without_conditions_misses_a_condition() -> None:
    study = _study()
    study.conditions.all().delete()
    assert ("missing", "conditions", ERROR) in _codes(study)


def test_public_contact_without_email_is_missing_when_a_site_can_be_contacted() -> None:
    study = _study(public_contact_email="")
    study.sites.update(contact_email="forskning@example.org")
    codes = _codes(study)
    assert ("missing", "public_contact_email", ERROR) in codes
    assert not any(code == "no_contact" for code, _f, _s in codes)


def test_study_with_nobody_to_contact_gets_no_contact() -> None:
    study = _study(public_contact_email="", public_contact_phone="")
    issues = [i for i in quality_issues(study) if i.code == "no_contact"]
    assert len(issues) == 1 and issues[0].severity == ERROR
    assert "contact" in issues[0].message


def test_ethics_approval_needs_its_date_and_case_number() -> None:
    study = _study(ethics_approved_on=None)
    study.identifiers.all().delete()
    codes = _codes(study)
    assert ("missing", "ethics_approved_on", ERROR) in codes
    assert ("missing", "identifiers", ERROR) in codes


def test_refused_ethics_is_an_error_and_pending_a_warning() -> None:
    assert ("ethics_not_approved", "ethics_status", ERROR) in _codes(
        _study(ethics_status=EthicsStatus.NOT_APPROVED, ethics_approved_on=None)
    )
    assert ("ethics_pending", "ethics_status", WARNING) in _codes(
        _study(ethics_status=EthicsStatus.PENDING, ethics_approved_on=None)
    )


def test_ethics_is_not_checked_for_a_study_without_swedish_site() -> None:
    abroad = OrganisationFactory.create(name="Rigshospitalet", country="DK", region=None)
    study = _study(site=abroad, ethics_status=EthicsStatus.PENDING, ethics_approved_on=None)
    codes = _codes(study)
    assert ("no_swedish_site", "sites", ERROR) in codes
    assert not any(code.startswith("ethics") for code, _f, _s in codes)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (
            {"planned_start_date": date(2026, 1, 1), "planned_end_date": date(2025, 1, 1)},
            "planned_end_date",
        ),
        (
            {
                "actual_start_date": date(2025, 3, 1),
                "actual_end_date": date(2025, 2, 1),
                "overall_status": OverallStatus.COMPLETED,
            },
            "actual_end_date",
        ),
        ({"ethics_approved_on": date(2025, 3, 1)}, "actual_start_date"),
    ],
)
def test_dates_in_the_wrong_order_are_errors(fields: dict[str, Any], field: str) -> None:
    study = _study(**fields)
    if study.overall_status == OverallStatus.COMPLETED:
        study.sites.update(recruitment_status=SiteStatus.CLOSED)
    issues = [i for i in quality_issues(study) if i.code == "dates_out_of_order"]
    assert [(i.field, i.severity) for i in issues] == [(field, ERROR)]


def test_recruiting_after_the_planned_end_is_a_warning_and_after_the_actual_end_an_error() -> None:
    planned = _study(planned_end_date=date(2025, 5, 1))
    assert ("recruiting_after_end", "overall_status", WARNING) in _codes(planned)
    actual = _study(actual_end_date=date(2025, 5, 1))
    assert ("recruiting_after_end", "overall_status", ERROR) in _codes(actual)
    not_recruiting = _study(
        planned_end_date=date(2025, 5, 1), overall_status=OverallStatus.ACTIVE_NOT_RECRUITING
    )
    assert not any(code == "recruiting_after_end" for code, _f, _s in _codes(not_recruiting))


def test_site_recruiting_while_the_study_is_completed_names_the_site() -> None:
    study = _study(
        overall_status=OverallStatus.COMPLETED,
        actual_end_date=date(2025, 6, 1),
        state=StudyState.COMPLETED,
    )
    issues = [i for i in quality_issues(study) if i.code == "site_recruiting_after_completion"]
    assert [(i.field, i.severity) for i in issues] == [("sites.0.recruitment_status", ERROR)]
    assert "Akademiska sjukhuset" in issues[0].message
    study.sites.update(recruitment_status=SiteStatus.CLOSED)
    assert not any(i.code == "site_recruiting_after_completion" for i in quality_issues(study))


def test_missing_primary_outcome_and_identifiers_are_warnings() -> None:
    study = _study(ethics_status=EthicsStatus.NOT_REQUIRED)
    study.outcomes.all().delete()
    study.identifiers.all().delete()
    codes = _codes(study)
    assert ("no_primary_outcome", "outcomes", WARNING) in codes
    assert ("no_identifier", "identifiers", WARNING) in codes
    assert all(severity == WARNING for _c, _f, severity in codes)


def test_errors_come_before_warnings() -> None:
    study = _study(public_title_en="", summary_sv="")
    study.outcomes.all().delete()
    severities = [i.severity for i in quality_issues(study)]
    assert severities == sorted(severities, key=lambda s: s != ERROR)
    assert ERROR in severities and WARNING in severities


# --- duplicates --------------------------------------------------------------------------------


def test_title_fold_drops_case_diacritics_and_punctuation() -> None:
    assert title_fold("Läkemedel X vid BRÖSTCANCER!") == "lakemedel x vid brostcancer"


def test_same_title_with_other_spelling_and_overlapping_dates_is_a_likely_duplicate() -> None:
    first = _study()
    second = _study(
        public_title="Semaglutid vid typ 2 diabetes hos äldre.",
        public_title_en="",
        planned_start_date=date(2025, 3, 1),
        actual_start_date=None,
    )
    found = likely_duplicates(second)
    assert [(s.pk, round(score, 2) >= 0.9) for s, score in found] == [(first.pk, True)]
    warnings = [i for i in quality_issues(second) if i.code == "likely_duplicate"]
    assert len(warnings) == 1 and f"#{first.pk}" in warnings[0].message
    assert warnings[0].severity == WARNING


def test_similar_title_in_years_far_apart_is_not_a_duplicate() -> None:
    _study()
    later = _study(
        planned_start_date=date(2019, 1, 1),
        actual_start_date=date(2019, 1, 1),
        planned_end_date=date(2020, 1, 1),
        ethics_approved_on=date(2018, 12, 1),
    )
    assert likely_duplicates(later) == []


def test_other_title_or_other_study_type_is_not_a_duplicate() -> None:
    _study()
    other_title = _study(public_title="Fysisk träning vid hjärtsvikt", public_title_en="")
    other_type = _study(study_type=StudyType.OBSERVATIONAL, phase=Phase.NOT_APPLICABLE)
    assert likely_duplicates(other_title) == []
    assert likely_duplicates(other_type) == []


def test_merged_studies_are_not_offered_as_duplicates() -> None:
    kept = _study(public_title="Kolkicin efter hjärtinfarkt", public_title_en="")
    gone = _study()
    gone.merged_into = kept
    gone.save()
    again = _study()
    assert likely_duplicates(again) == []


# --- the region's counts -------------------------------------------------------------------


def test_counted_errors_agree_with_the_checks_on_each_kind_of_error() -> None:
    studies = [
        _study(),
        _study(summary_sv=""),
        _study(public_contact_email="", public_contact_phone=""),
        _study(phase=Phase.NOT_APPLICABLE),
        _study(ethics_approved_on=None),
        _study(planned_start_date=date(2026, 1, 1), planned_end_date=date(2025, 1, 1)),
        _study(actual_end_date=date(2025, 5, 1)),
        _study(overall_status=OverallStatus.COMPLETED, actual_end_date=date(2025, 6, 1)),
        _study(site=OrganisationFactory.create(name="Charité", country="DE", region=None)),
    ]
    no_condition = _study()
    no_condition.conditions.all().delete()
    studies.append(no_condition)
    counted = set(Study.objects.filter(quality_error_q(TODAY.date())).values_list("pk", flat=True))
    checked = {s.pk for s in studies if any(i.severity == ERROR for i in quality_issues(s))}
    assert counted == checked
    assert studies[0].pk not in counted and len(counted) == len(studies) - 1
