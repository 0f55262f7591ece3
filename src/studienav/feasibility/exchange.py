"""The JSON exchange format of study requests and compiled answers between nodes and the portal.

Two documents, each a JSON object with `format` = "studienav.feasibility/1" and a `kind`:

`{"format": "studienav.feasibility/1", "kind": "request", "request": {...}}`
    reference (str), kind ("country" | "site"), received_at (ISO 8601 date-time),
    sponsor {name, country (ISO 3166 alpha-2), contact_name, contact_email},
    title, therapeutic_area (ICD-10 chapter "I".."XXII"), indication,
    study_type ("drug" | "device" | "other_interventional" | "observational"),
    phase ("early_1" | "1" | "1_2" | "2" | "2_3" | "3" | "4" | "na"),
    intervention, ce_marked (bool | null), inclusion_criteria, exclusion_criteria,
    sites_wanted, patients_wanted (int | null), planned_start (date | null),
    recruitment_months (int | null), suggested_sites, answer_deadline (date),
    confidentiality ("open" | "confidential").

`{"format": "studienav.feasibility/1", "kind": "answer", "answer": {...}}`
    reference, sent_at (date-time | null: when the answer went to the sponsor, null while
    not sent), text (the answer to the sponsor, "" while not sent), late_reason (why the
    answer went without some regions, "" otherwise), regions: one per region the request was
    forwarded to, each {region_code (two digits), summary, compiled_at (date-time | null),
    sent_at (date-time | null: when the region's answer reached the sponsor), late (bool: the
    answer went without this region, "no answer by the deadline"), supplement (the text sent
    later for a late region, "" otherwise), asked (int), answers: a list of
    {clinic, interested (bool), eligible_patients_per_year (int | null), capacity,
    competing_studies, decline_reason (one of the DeclineReason values or ""), comment}}.

Attachments travel separately. Unknown fields are refused, so a typo never passes silently.
A document is at most `MAX_BYTES` and nests at most IMPORT_MAX_DEPTH levels (64), checked
before it is parsed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final, Literal

from django.conf import settings
from django.utils.translation import gettext as _
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from studienav.core.errors import ValidationFailed
from studienav.core.json_nesting import TooDeep, json_loads
from studienav.feasibility.models import (
    Confidentiality,
    DeclineReason,
    RegionPart,
    RequestKind,
    StudyRequest,
)
from studienav.registry.models import Phase, StudyType, TherapeuticArea

FORMAT: Final = "studienav.feasibility/1"
MAX_BYTES: Final = 5 * 1024 * 1024  # 5 MB (the message says so); a document is some kilobytes


def _values(choices: Any) -> tuple[str, ...]:
    return tuple(str(c) for c in choices.values)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SponsorRecord(Strict):
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(default="SE", pattern=r"^[A-Z]{2}$")
    contact_name: str = Field(min_length=1, max_length=200)
    contact_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)


class RequestRecord(Strict):
    reference: str = Field(min_length=1, max_length=30)
    kind: Literal[_values(RequestKind)]  # type: ignore[valid-type]
    received_at: datetime
    sponsor: SponsorRecord
    title: str = Field(min_length=1, max_length=300)
    therapeutic_area: Literal[_values(TherapeuticArea)]  # type: ignore[valid-type]
    indication: str = Field(min_length=1, max_length=300)
    study_type: Literal[_values(StudyType)]  # type: ignore[valid-type]
    phase: Literal[_values(Phase)]  # type: ignore[valid-type]
    intervention: str = Field(default="", max_length=300)
    ce_marked: bool | None = None
    inclusion_criteria: str = Field(min_length=1)
    exclusion_criteria: str = ""
    sites_wanted: int | None = Field(default=None, ge=0, le=500)
    patients_wanted: int | None = Field(default=None, ge=0, le=1_000_000)
    planned_start: date | None = None
    recruitment_months: int | None = Field(default=None, ge=1, le=240)
    suggested_sites: str = ""
    answer_deadline: date
    confidentiality: Literal[_values(Confidentiality)] = "confidential"  # type: ignore[valid-type]


class ClinicAnswerRecord(Strict):
    clinic: str
    interested: bool
    eligible_patients_per_year: int | None = Field(default=None, ge=0)
    capacity: str = ""
    competing_studies: str = ""
    decline_reason: Literal[("", *_values(DeclineReason))] = ""  # type: ignore[valid-type]
    comment: str = ""


class RegionAnswerRecord(Strict):
    region_code: str = Field(pattern=r"^\d{2}$")
    summary: str
    compiled_at: AwareDatetime | None
    sent_at: AwareDatetime | None
    late: bool = False
    supplement: str = ""
    asked: int = Field(ge=0, le=100_000)
    answers: list[ClinicAnswerRecord] = []


class AnswerRecord(Strict):
    reference: str = Field(min_length=1, max_length=30)
    sent_at: AwareDatetime | None
    text: str = ""
    late_reason: str = ""
    regions: list[RegionAnswerRecord] = Field(min_length=1)


class RequestDocument(Strict):
    format: Literal["studienav.feasibility/1"]
    kind: Literal["request"]
    request: RequestRecord


class AnswerDocument(Strict):
    format: Literal["studienav.feasibility/1"]
    kind: Literal["answer"]
    answer: AnswerRecord


def _first_error(error: ValidationError) -> ValidationFailed:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    return ValidationFailed(code="exchange_" + first["type"], field=field, message=first["msg"])


def document_parse(text: str | bytes) -> RequestDocument | AnswerDocument:
    """Parse a document; errors name the field path (`request.sponsor.contact_email`)."""
    if len(text) > MAX_BYTES:
        raise too_large()
    depth = settings.IMPORT_MAX_DEPTH
    try:
        data = json_loads(text, max_depth=depth)
    except TooDeep:
        raise ValidationFailed(
            code="exchange_too_deep",
            field="",
            message=_("The document is nested deeper than %(limit)s levels.") % {"limit": depth},
        ) from None
    except ValueError as error:
        raise ValidationFailed(code="exchange_not_json", field="", message=str(error)) from error
    if not isinstance(data, dict):
        raise ValidationFailed(
            code="exchange_not_object", field="", message="The document must be a JSON object."
        )
    if data.get("format") != FORMAT:
        raise ValidationFailed(
            code="exchange_format",
            field="format",
            message=f"Expected format {FORMAT!r}, got {data.get('format')!r}.",
        )
    model: type[RequestDocument] | type[AnswerDocument] = (
        AnswerDocument if data.get("kind") == "answer" else RequestDocument
    )
    try:
        document = model.model_validate(data)
    except ValidationError as error:
        raise _first_error(error) from error
    if isinstance(document, AnswerDocument):
        answer_record_check(document.answer)
    return document


def too_large() -> ValidationFailed:
    """The error for a document over `MAX_BYTES`."""
    return ValidationFailed(
        code="exchange_too_large", field="", message=_("The document is larger than 5 MB.")
    )


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(code="exchange_inconsistent", field=field, message=message)


def answer_record_check(record: AnswerRecord) -> None:
    """The rules between fields of an answer, each error naming its field path."""
    sent = record.sent_at
    if sent is not None and not record.text:
        raise _refuse("answer.text", "An answer that was sent has its text.")
    if sent is None and (record.text or record.late_reason):
        raise _refuse("answer.sent_at", "Text and late_reason belong to an answer that was sent.")
    for index, region in enumerate(record.regions):
        path = f"answer.regions.{index}"
        if region.sent_at is not None and region.compiled_at is None:
            raise _refuse(f"{path}.compiled_at", "A region sent to the sponsor was compiled.")
        if region.sent_at is not None and (sent is None or region.sent_at < sent):
            raise _refuse(f"{path}.sent_at", "A region is sent with the answer or after it.")
        late = sent is not None and (region.sent_at is None or region.sent_at > sent)
        if region.late != late:
            raise _refuse(
                f"{path}.late",
                "late is true exactly when the answer was sent without the region.",
            )
        if bool(region.supplement) != (late and region.sent_at is not None):
            raise _refuse(f"{path}.supplement", "Only a late region sent later has a supplement.")
        if len(region.answers) > region.asked:
            raise _refuse(f"{path}.asked", "More answers than clinics asked.")
    if any(region.late for region in record.regions) and not record.late_reason:
        raise _refuse("answer.late_reason", "Say why the answer was sent without every region.")


def request_to_document(request: StudyRequest) -> RequestDocument:
    sponsor = request.sponsor_organisation
    record = RequestRecord(
        reference=request.reference,
        kind=request.kind,
        received_at=request.received_at,
        sponsor=SponsorRecord(
            name=sponsor.name,
            country=sponsor.country,
            contact_name=request.contact_name,
            contact_email=request.contact_email,
        ),
        title=request.title,
        therapeutic_area=request.therapeutic_area,
        indication=request.indication,
        study_type=request.study_type,
        phase=request.phase,
        intervention=request.intervention,
        ce_marked=request.ce_marked,
        inclusion_criteria=request.inclusion_criteria,
        exclusion_criteria=request.exclusion_criteria,
        sites_wanted=request.sites_wanted,
        patients_wanted=request.patients_wanted,
        planned_start=request.planned_start,
        recruitment_months=request.recruitment_months,
        suggested_sites=request.suggested_sites,
        answer_deadline=request.answer_deadline,
        confidentiality=request.confidentiality,
    )
    return RequestDocument(format=FORMAT, kind="request", request=record)


def clinic_answers_here(part: RegionPart) -> list[ClinicAnswerRecord]:
    """The answers of the part's recipients in this node, as exchange records."""
    records = []
    for recipient in part.recipients.all():
        answer = getattr(recipient, "answer", None)
        if answer is None:
            continue
        records.append(
            ClinicAnswerRecord(
                clinic=str(recipient.organisation or recipient.name),
                interested=answer.is_interested,
                eligible_patients_per_year=answer.eligible_patients_per_year,
                capacity=answer.capacity,
                competing_studies=answer.competing_studies,
                decline_reason=answer.decline_reason,
                comment=answer.comment,
            )
        )
    return records


def answer_to_document(request: StudyRequest) -> AnswerDocument:
    """The compiled answer with each region's summary and its clinics' answers."""
    if request.forwarded_at is None:
        raise ValidationFailed(
            code="not_forwarded", field="state", message="The request was not forwarded."
        )
    regions = []
    parts = request.parts.select_related("region", "request").prefetch_related(
        "recipients__answer", "recipients__organisation"
    )
    for part in parts:
        elsewhere = [ClinicAnswerRecord.model_validate(a) for a in part.answers_elsewhere]
        regions.append(
            RegionAnswerRecord(
                region_code=part.region.code,
                summary=part.summary,
                compiled_at=part.compiled_at,
                sent_at=part.sent_at,
                late=part.is_late,
                supplement=part.supplement,
                asked=len(part.recipients.all()) + part.asked_elsewhere,
                answers=clinic_answers_here(part) + elsewhere,
            )
        )
    record = AnswerRecord(
        reference=request.reference,
        sent_at=request.answer_sent_at,
        text=request.compiled_answer,
        late_reason=request.late_reason,
        regions=regions,
    )
    return AnswerDocument(format=FORMAT, kind="answer", answer=record)


def request_data_from_record(record: RequestRecord) -> dict[str, Any]:
    """The service's `data` for request_register, from an imported record."""
    data = record.model_dump(exclude={"reference", "received_at", "sponsor"})
    data["contact_name"] = record.sponsor.contact_name
    data["contact_email"] = str(record.sponsor.contact_email)
    return data
