"""What the open API answers: studies, their history, regions, organisations and sites."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from studienav.core.models import Organisation, Region
from studienav.registry.models import Site, Study


class Out(BaseModel):
    """An answer's shape. The views build plain dicts, so plain pydantic models validate them:
    ninja's `Schema` would first wrap every nested dict to resolve ORM attributes, which was a
    quarter of a search answer's time."""


class IdentifierOut(Out):
    scheme: str = Field(description="nct, eu_ct, eudract, ethics, isrctn, local or other")
    value: str
    is_primary: bool
    uri: str | None = Field(None, description="the identifier system, as in the FHIR facade")


class TitlesOut(Out):
    public: str
    public_en: str
    scientific: str
    acronym: str


class SummariesOut(Out):
    sv: str
    en: str
    description: str


class SponsorOut(Out):
    name: str
    type: str = Field(description="academic, industry or other_public")
    secondary: list[str]
    funding_sources: list[str]


class ConditionOut(Out):
    name: str
    icd10: str = Field(description="ICD-10 code, or empty when none is given")


class InterventionOut(Out):
    type: str
    name: str
    description: str


class EligibilityOut(Out):
    inclusion_criteria: str
    exclusion_criteria: str
    min_age_years: int | None
    max_age_years: int | None
    sex: str = Field(description="all, female or male")
    healthy_volunteers: bool


class DatesOut(Out):
    registered_on: dt.date | None
    planned_start: dt.date | None
    actual_start: dt.date | None
    planned_end: dt.date | None
    actual_end: dt.date | None


class EnrolmentOut(Out):
    target: int | None
    actual: int | None


class ContactOut(Out):
    name: str
    email: str
    phone: str


class SiteOut(Out):
    id: int
    organisation_id: int
    organisation: str
    city: str
    region: str | None = Field(None, description="two-digit region code")
    status: str = Field(
        description="not_yet_recruiting, recruiting, enrolling_by_invitation, suspended, closed"
    )
    latitude: float | None
    longitude: float | None
    contact: ContactOut


class LinksOut(Out):
    self: str
    html: str
    history: str
    fhir: str


class StudyOut(Out):
    id: int
    identifiers: list[IdentifierOut]
    titles: TitlesOut
    summaries: SummariesOut
    status: str = Field(description="ClinicalTrials.gov overall status, lower case")
    state: str = Field(description="published or completed")
    phase: str
    study_type: str
    care_settings: list[str]
    therapeutic_area: str
    sponsor: SponsorOut
    conditions: list[ConditionOut]
    interventions: list[InterventionOut]
    eligibility: EligibilityOut
    dates: DatesOut
    enrolment: EnrolmentOut
    public_contact: ContactOut
    sites: list[SiteOut]
    updated_at: dt.datetime
    links: LinksOut


class FacetValueOut(Out):
    value: str
    label: str
    count: int


class StudyListOut(Out):
    studies: list[StudyOut]
    total: int
    next_cursor: str | None = Field(None, description="pass as cursor for the next page")
    facets: dict[str, list[FacetValueOut]] | None = Field(
        None, description="counts per value, when facets=true"
    )


class VersionOut(Out):
    number: int
    published_at: dt.datetime
    reason: str
    changed_fields: list[str]
    data: dict[str, Any]


class HistoryOut(Out):
    study_id: int
    versions: list[VersionOut]


class RegionOut(Out):
    code: str
    name: str
    name_en: str
    short_name: str


class OrganisationOut(Out):
    id: int
    name: str
    name_en: str
    type: str
    region: str | None
    city: str
    postal_code: str
    latitude: float | None
    longitude: float | None


class OrganisationListOut(Out):
    organisations: list[OrganisationOut]
    total: int
    next_cursor: str | None = None


class StudySiteOut(SiteOut):
    study_id: int


class SiteListOut(Out):
    sites: list[StudySiteOut]
    total: int
    next_cursor: str | None = None


class ProblemParameterOut(Out):
    parameter: str
    message: str
    valid_values: list[str] | None = None


class ProblemOut(Out):
    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemParameterOut] = []


IDENTIFIER_SYSTEMS = {
    "nct": "https://clinicaltrials.gov",
    "eu_ct": "https://euclinicaltrials.eu",
    "eudract": "https://www.clinicaltrialsregister.eu",
    "ethics": "https://etikprovningsmyndigheten.se/diarienummer",
    "isrctn": "https://www.isrctn.com",
}


def _contact(name: str, email: str, phone: str) -> dict[str, str]:
    return {"name": name, "email": email, "phone": phone}


def site_out(site: Site, regions: dict[int, str]) -> dict[str, Any]:
    organisation = site.organisation
    return {
        "id": site.pk,
        "study_id": site.study_id,
        "organisation_id": organisation.pk,
        "organisation": organisation.name,
        "city": organisation.city,
        "region": regions.get(site.region_id) if site.region_id else None,
        "status": site.recruitment_status,
        "latitude": organisation.latitude,
        "longitude": organisation.longitude,
        "contact": _contact(site.contact_name, site.contact_email, site.contact_phone),
    }


def study_out(study: Study, regions: dict[int, str]) -> dict[str, Any]:
    """A study as the API shows it; expects identifiers, conditions, interventions and sites
    prefetched (see `views.STUDY_PREFETCH`)."""
    base = f"/api/v1/studies/{study.pk}"
    care = [
        name
        for name, flag in (
            ("hospital", study.in_hospital_care),
            ("primary_care", study.in_primary_care),
            ("dental_care", study.in_dental_care),
        )
        if flag
    ]
    return {
        "id": study.pk,
        "identifiers": [
            {
                "scheme": i.scheme,
                "value": i.value,
                "is_primary": i.is_primary,
                "uri": IDENTIFIER_SYSTEMS.get(i.scheme),
            }
            for i in study.identifiers.all()
        ],
        "titles": {
            "public": study.public_title,
            "public_en": study.public_title_en,
            "scientific": study.scientific_title,
            "acronym": study.acronym,
        },
        "summaries": {
            "sv": study.summary_sv,
            "en": study.summary_en,
            "description": study.description,
        },
        "status": study.overall_status,
        "state": study.state,
        "phase": study.phase,
        "study_type": study.study_type,
        "care_settings": care,
        "therapeutic_area": study.therapeutic_area,
        "sponsor": {
            "name": study.primary_sponsor_name,
            "type": study.sponsor_type,
            "secondary": [str(s) for s in study.secondary_sponsors],
            "funding_sources": [str(s) for s in study.funding_sources],
        },
        "conditions": [{"name": c.name, "icd10": c.icd10} for c in study.conditions.all()],
        "interventions": [
            {"type": i.type, "name": i.name, "description": i.description}
            for i in study.interventions.all()
        ],
        "eligibility": {
            "inclusion_criteria": study.inclusion_criteria,
            "exclusion_criteria": study.exclusion_criteria,
            "min_age_years": study.min_age_years,
            "max_age_years": study.max_age_years,
            "sex": study.sex,
            "healthy_volunteers": study.healthy_volunteers,
        },
        "dates": {
            "registered_on": study.registered_on,
            "planned_start": study.planned_start_date,
            "actual_start": study.actual_start_date,
            "planned_end": study.planned_end_date,
            "actual_end": study.actual_end_date,
        },
        "enrolment": {"target": study.target_enrolment, "actual": study.actual_enrolment},
        "public_contact": _contact(
            study.public_contact_name, study.public_contact_email, study.public_contact_phone
        ),
        "sites": [site_out(s, regions) for s in study.sites.all()],
        "updated_at": study.updated_at,
        "links": {
            "self": base,
            "html": f"/studies/{study.pk}/",
            "history": f"{base}/history",
            "fhir": f"/fhir/ResearchStudy/{study.pk}",
        },
    }


def region_out(region: Region) -> dict[str, Any]:
    return {
        "code": region.code,
        "name": region.name,
        "name_en": region.name_en,
        "short_name": region.short_name,
    }


def organisation_out(organisation: Organisation, regions: dict[int, str]) -> dict[str, Any]:
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "name_en": organisation.name_en,
        "type": organisation.type,
        "region": regions.get(organisation.region_id) if organisation.region_id else None,
        "city": organisation.city,
        "postal_code": organisation.postal_code,
        "latitude": organisation.latitude,
        "longitude": organisation.longitude,
    }
