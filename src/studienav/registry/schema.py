"""The study exchange record (format `studienav.study/1`): export, import, node-to-node.

Every importer turns its input into a `StudyRecord`; `record_apply` is the one place that
writes a record to the registry. `studienav export-studies --format jsonl` writes one record
a line, so an export imported into an empty database gives the same studies back.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from studienav.core.errors import ValidationFailed
from studienav.registry import identifiers as ids
from studienav.registry.icd10 import icd10_normalise
from studienav.registry.models import (
    EthicsStatus,
    IdentifierScheme,
    InterventionType,
    IpdSharing,
    OutcomeKind,
    OverallStatus,
    Phase,
    Sex,
    SiteStatus,
    SponsorType,
    StudyState,
    StudyType,
    TherapeuticArea,
)

FORMAT = "studienav.study/1"

Text = Annotated[str, Field(max_length=20_000)]
ShortText = Annotated[str, Field(max_length=500)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)


class IdentifierRecord(_Record):
    scheme: IdentifierScheme
    value: Annotated[str, Field(min_length=1, max_length=80)]
    region: str | None = Field(default=None, pattern=r"^\d{2}$", description="for local numbers")
    issuer: ShortText = ""
    is_primary: bool = False

    @model_validator(mode="after")
    def _valid(self) -> IdentifierRecord:
        try:
            self.value = ids.validate(self.scheme, self.value)
        except ValidationFailed as error:
            raise ValueError(error.message) from error
        if self.scheme == IdentifierScheme.LOCAL and not self.region:
            raise ValueError("a local number needs its region (two-digit code)")
        return self


class ConditionRecord(_Record):
    name: Annotated[str, Field(min_length=1, max_length=300)]
    icd10: str = ""

    @field_validator("icd10")
    @classmethod
    def _icd10(cls, value: str) -> str:
        if not value:
            return ""
        normalised = icd10_normalise(value)
        if normalised is None:
            raise ValueError(f"{value} is not an ICD-10 code (for example C50 or C50.9)")
        return normalised


class InterventionRecord(_Record):
    type: InterventionType = InterventionType.OTHER
    name: Annotated[str, Field(min_length=1, max_length=300)]
    description: Text = ""


class OutcomeRecord(_Record):
    kind: OutcomeKind
    measure: Annotated[str, Field(min_length=1, max_length=20_000)]
    time_frame: ShortText = ""


class SiteRecord(_Record):
    """A site as an organisation name and place; the registry matches it to an organisation."""

    organisation: Annotated[str, Field(min_length=1, max_length=200)]
    city: Annotated[str, Field(max_length=100)] = ""
    postal_code: Annotated[str, Field(max_length=20)] = ""
    country: str = Field(default="SE", pattern=r"^[A-Z]{2}$")
    # The country as the source wrote it when it could not be read (country is then ZZ): for
    # the note on the organisation the import creates; never part of the record's data.
    country_as_given: Annotated[str, Field(max_length=100, exclude=True)] = ""
    region: str | None = Field(default=None, pattern=r"^\d{2}$")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    principal_investigator: Annotated[str, Field(max_length=200)] = ""
    contact_name: Annotated[str, Field(max_length=200)] = ""
    contact_email: Annotated[str, Field(max_length=254)] = ""
    contact_phone: Annotated[str, Field(max_length=40)] = ""
    recruitment_status: SiteStatus = SiteStatus.NOT_YET_RECRUITING
    target_enrolment: int | None = Field(default=None, ge=0)
    actual_enrolment: int | None = Field(default=None, ge=0)
    start_date: dt.date | None = None


class StudyRecord(_Record):
    """One study with everything the registry keeps about it, in plain JSON."""

    format: str = FORMAT
    id: int | None = Field(default=None, description="the exporting registry's id; informative")
    state: StudyState | None = None
    source: Annotated[str, Field(max_length=40)] = ""
    identifiers: list[IdentifierRecord] = Field(default_factory=list, max_length=50)
    public_title: Annotated[str, Field(min_length=1, max_length=500)]
    public_title_en: ShortText = ""
    scientific_title: Text = ""
    acronym: Annotated[str, Field(max_length=60)] = ""
    summary_sv: Text = ""
    summary_en: Text = ""
    description: Text = ""
    keywords: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list)
    study_type: StudyType
    phase: Phase = Phase.NOT_APPLICABLE
    design: Text = ""
    sponsor_type: SponsorType
    primary_sponsor_name: Annotated[str, Field(max_length=300)] = ""
    secondary_sponsors: list[ShortText] = Field(default_factory=list)
    funding_sources: list[ShortText] = Field(default_factory=list)
    public_contact_name: Annotated[str, Field(max_length=200)] = ""
    public_contact_email: Annotated[str, Field(max_length=254)] = ""
    public_contact_phone: Annotated[str, Field(max_length=40)] = ""
    scientific_contact_name: Annotated[str, Field(max_length=200)] = ""
    scientific_contact_email: Annotated[str, Field(max_length=254)] = ""
    scientific_contact_affiliation: Annotated[str, Field(max_length=300)] = ""
    inclusion_criteria: Text = ""
    exclusion_criteria: Text = ""
    min_age_years: int | None = Field(default=None, ge=0, le=120)
    max_age_years: int | None = Field(default=None, ge=0, le=120)
    sex: Sex = Sex.ALL
    healthy_volunteers: bool = False
    in_hospital_care: bool = True
    in_primary_care: bool = False
    in_dental_care: bool = False
    therapeutic_area: TherapeuticArea | None = None
    overall_status: OverallStatus = OverallStatus.NOT_YET_RECRUITING
    planned_start_date: dt.date | None = None
    actual_start_date: dt.date | None = None
    planned_end_date: dt.date | None = None
    actual_end_date: dt.date | None = None
    target_enrolment: int | None = Field(default=None, ge=0)
    actual_enrolment: int | None = Field(default=None, ge=0)
    registered_on: dt.date | None = None
    countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    ethics_status: EthicsStatus = EthicsStatus.PENDING
    ethics_approved_on: dt.date | None = None
    ethics_committee: ShortText = ""
    results_summary: Text = ""
    results_url: Annotated[str, Field(max_length=500)] = ""
    ipd_sharing: IpdSharing = IpdSharing.UNDECIDED
    ipd_sharing_statement: Text = ""
    conditions: list[ConditionRecord] = Field(default_factory=list, max_length=200)
    interventions: list[InterventionRecord] = Field(default_factory=list, max_length=200)
    outcomes: list[OutcomeRecord] = Field(default_factory=list, max_length=200)
    sites: list[SiteRecord] = Field(default_factory=list, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> StudyRecord:
        if (
            self.min_age_years is not None
            and self.max_age_years is not None
            and self.min_age_years > self.max_age_years
        ):
            raise ValueError("min_age_years is greater than max_age_years")
        seen: set[tuple[str, str, str | None]] = set()
        for identifier in self.identifiers:
            key = (identifier.scheme, identifier.value, identifier.region)
            if key in seen:
                raise ValueError(f"identifier {identifier.value} is listed twice")
            seen.add(key)
        return self

    @property
    def identifier_keys(self) -> list[tuple[str, str]]:
        return [
            (i.scheme, i.value)
            for i in self.identifiers
            if i.scheme not in (IdentifierScheme.LOCAL, IdentifierScheme.OTHER)
        ]


def record_errors(error: Any) -> list[tuple[str, str]]:
    """pydantic's errors as (field path, message) pairs for `FILE#N: field: message` lines."""
    out = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "record"
        message = str(item["msg"]).removeprefix("Value error, ")
        out.append((path, message))
    return out
