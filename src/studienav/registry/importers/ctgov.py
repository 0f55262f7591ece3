"""ClinicalTrials.gov API v2 JSON: one study, a list of studies, or an API page.

An API page is `{"studies": [...], "nextPageToken": "..."}`. The file is streamed with ijson,
so memory stays flat however many studies it holds. `study_data` maps one study (the
`protocolSection` modules) to the fields of a `StudyRecord`; the classic JSON and the legacy
XML importers bring their input into this shape first and reuse it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import ijson
from django.utils.translation import gettext as _

from studienav.core.errors import ValidationFailed
from studienav.registry import identifiers as ids
from studienav.registry.importers._common import (
    ImportFileError,
    ParsedRecord,
    as_dict,
    as_list,
    build,
    clip,
    country_code,
    enum_key,
    first_line,
    line,
    parse_age,
    parse_bool,
    parse_date,
    parse_int,
    split_criteria,
    text,
)
from studienav.registry.models import IdentifierScheme

SOURCE = "ctgov"

# overallStatus (14 values) -> OverallStatus. The expanded-access values (AVAILABLE,
# NO_LONGER_AVAILABLE, TEMPORARILY_NOT_AVAILABLE, APPROVED_FOR_MARKETING) and WITHHELD say
# nothing about recruitment into a study, so they become `unknown`.
OVERALL_STATUS = {
    "NOT_YET_RECRUITING": "not_yet_recruiting",
    "RECRUITING": "recruiting",
    "ENROLLING_BY_INVITATION": "enrolling_by_invitation",
    "ACTIVE_NOT_RECRUITING": "active_not_recruiting",
    "SUSPENDED": "suspended",
    "TERMINATED": "terminated",
    "COMPLETED": "completed",
    "WITHDRAWN": "withdrawn",
    "UNKNOWN": "unknown",
    "UNKNOWN_STATUS": "unknown",
    "AVAILABLE": "unknown",
    "NO_LONGER_AVAILABLE": "unknown",
    "TEMPORARILY_NOT_AVAILABLE": "unknown",
    "APPROVED_FOR_MARKETING": "unknown",
    "WITHHELD": "unknown",
}

# Per-site status -> SiteStatus (anything that no longer recruits is closed).
SITE_STATUS = {
    "NOT_YET_RECRUITING": "not_yet_recruiting",
    "RECRUITING": "recruiting",
    "ENROLLING_BY_INVITATION": "enrolling_by_invitation",
    "SUSPENDED": "suspended",
    "TEMPORARILY_NOT_AVAILABLE": "suspended",
    "AVAILABLE": "recruiting",
}

_SITE_FROM_OVERALL = {
    "recruiting": "recruiting",
    "enrolling_by_invitation": "enrolling_by_invitation",
    "not_yet_recruiting": "not_yet_recruiting",
    "suspended": "suspended",
}

_PHASES = {
    frozenset({"EARLY_PHASE1"}): "early_1",
    frozenset({"PHASE1"}): "1",
    frozenset({"PHASE1", "PHASE2"}): "1_2",
    frozenset({"PHASE2"}): "2",
    frozenset({"PHASE2", "PHASE3"}): "2_3",
    frozenset({"PHASE3"}): "3",
    frozenset({"PHASE4"}): "4",
}

INTERVENTION_TYPE = {
    "DRUG": "drug",
    "DEVICE": "device",
    "BIOLOGICAL": "biological",
    "PROCEDURE": "procedure",
    "PROCEDURE_SURGERY": "procedure",
    "RADIATION": "radiation",
    "BEHAVIORAL": "behavioural",
    "DIETARY_SUPPLEMENT": "dietary",
    "DIAGNOSTIC_TEST": "diagnostic",
}

_SPONSOR_TYPE = {
    "INDUSTRY": "industry",
    "NIH": "other_public",
    "FED": "other_public",
    "U_S_FED": "other_public",
    "OTHER_GOV": "other_public",
}


def _checked(field: str, parse: Callable[[Any], Any], value: Any) -> Any:
    """Parse one value; a bad one rejects the record naming our field."""
    try:
        return parse(value)
    except ValueError as error:
        raise ValidationFailed(code="value_invalid", field=field, message=str(error)) from None


def phase(values: list[Any]) -> str:
    """The phases list as our phase: `PHASE1` + `PHASE2` is 1/2; none or `NA` is n/a."""
    keys = {enum_key(v).replace("_PHASE_", "_PHASE").replace("PHASE_", "PHASE") for v in values}
    keys.discard("NA")
    keys -= {"NOT_APPLICABLE", "N_A", ""}
    return _PHASES.get(frozenset(keys), "na")


def sponsor_type(value: Any) -> str:
    return _SPONSOR_TYPE.get(enum_key(value), "academic")


def study_type(kind: Any, intervention_types: list[str]) -> str:
    """Observational stays so; an interventional study is a drug trial when it tests a drug or
    biological, a device investigation when it tests a device, otherwise other interventional."""
    key = enum_key(kind)
    if key.startswith("OBSERVATIONAL"):
        return "observational"
    if not key:
        raise ValidationFailed(
            code="study_type_missing",
            field="study_type",
            message=_("the record has no study type (designModule.studyType)"),
        )
    if {"drug", "biological"} & set(intervention_types):
        return "drug"
    if "device" in intervention_types:
        return "device"
    return "other_interventional"


def _identifiers(module: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def add(scheme: str, value: str, issuer: str = "", primary: bool = False) -> None:
        if not value or (scheme, value) in seen:
            return
        seen.add((scheme, value))
        out.append(
            {"scheme": scheme, "value": clip(value, 80), "issuer": clip(issuer, 500)}
            | ({"is_primary": True} if primary else {})
        )

    nct = line(module.get("nctId"))
    if nct:
        add(IdentifierScheme.NCT, nct, "ClinicalTrials.gov", primary=True)
    organisation = line(as_dict(module.get("organization")).get("fullName"))
    org_id = line(as_dict(module.get("orgStudyIdInfo")).get("id"))
    for value, issuer in [(org_id, organisation)] + [
        (line(as_dict(s).get("id")), line(as_dict(s).get("domain")) or line(as_dict(s).get("type")))
        for s in as_list(module.get("secondaryIdInfos"))
    ]:
        if not value:
            continue
        known = ids.recognise(value)
        if known and known[0] != IdentifierScheme.ETHICS:
            add(known[0], known[1], issuer)
        else:
            add(IdentifierScheme.OTHER, value, issuer)
    return out


def _site(location: dict[str, Any], index: int, overall: str) -> dict[str, Any]:
    facility = line(location.get("facility"))
    city = line(location.get("city"))
    try:
        country = country_code(location.get("country"))
    except ValueError as error:
        raise ValidationFailed(
            code="country_unknown",
            field=f"sites.{index}.country",
            message=_("%(error)s; give the country's English name or ISO code") % {"error": error},
        ) from None
    status = SITE_STATUS.get(enum_key(location.get("status")))
    if status is None:
        status = (
            _SITE_FROM_OVERALL.get(overall, "closed") if not location.get("status") else "closed"
        )
    geo = as_dict(location.get("geoPoint"))
    contacts = [as_dict(c) for c in as_list(location.get("contacts"))]
    investigator = next(
        (line(c.get("name")) for c in contacts if "INVESTIGATOR" in enum_key(c.get("role"))), ""
    )
    contact = next((c for c in contacts if "INVESTIGATOR" not in enum_key(c.get("role"))), {})
    site: dict[str, Any] = {
        "organisation": clip(facility or city or "Site", 200),
        "city": clip(city, 100),
        "postal_code": clip(line(location.get("zip")), 20),
        "country": country,
        "recruitment_status": status,
        "principal_investigator": clip(investigator, 200),
        "contact_name": clip(line(contact.get("name")), 200),
        "contact_email": line(contact.get("email")),
        "contact_phone": clip(line(contact.get("phone")), 40),
    }
    if geo.get("lat") is not None and geo.get("lon") is not None:
        site["latitude"] = float(geo["lat"])
        site["longitude"] = float(geo["lon"])
    return site


def study_data(study: dict[str, Any], *, source: str = SOURCE) -> dict[str, Any]:
    """The fields of a `StudyRecord` from one API v2 study (validated by the caller)."""
    protocol = as_dict(as_dict(study).get("protocolSection"))
    ident = as_dict(protocol.get("identificationModule"))
    status = as_dict(protocol.get("statusModule"))
    sponsors = as_dict(protocol.get("sponsorCollaboratorsModule"))
    description = as_dict(protocol.get("descriptionModule"))
    conditions = as_dict(protocol.get("conditionsModule"))
    design = as_dict(protocol.get("designModule"))
    arms = as_dict(protocol.get("armsInterventionsModule"))
    outcomes = as_dict(protocol.get("outcomesModule"))
    eligibility = as_dict(protocol.get("eligibilityModule"))
    contacts = as_dict(protocol.get("contactsLocationsModule"))
    ipd = as_dict(protocol.get("ipdSharingStatementModule"))

    interventions = [
        {
            "type": INTERVENTION_TYPE.get(enum_key(i.get("type")), "other"),
            "name": clip(line(i.get("name")), 300),
            "description": text(i.get("description")),
        }
        for i in (as_dict(x) for x in as_list(arms.get("interventions")))
        if line(i.get("name"))
    ]
    overall = OVERALL_STATUS.get(enum_key(status.get("overallStatus")), "unknown")
    data: dict[str, Any] = {
        "source": source,
        "identifiers": _identifiers(ident),
        "public_title": line(ident.get("briefTitle")) or line(ident.get("officialTitle")),
        "public_title_en": line(ident.get("briefTitle")),
        "scientific_title": line(ident.get("officialTitle")),
        "acronym": line(ident.get("acronym")),
        "summary_en": text(description.get("briefSummary")),
        "description": text(description.get("detailedDescription")),
        "keywords": [clip(line(k), 100) for k in as_list(conditions.get("keywords")) if line(k)],
        "study_type": study_type(design.get("studyType"), [i["type"] for i in interventions]),
        "phase": phase(as_list(design.get("phases"))),
        "overall_status": overall,
        "conditions": [
            {"name": clip(line(c), 300)} for c in as_list(conditions.get("conditions")) if line(c)
        ],
        "interventions": interventions,
        "outcomes": [
            {
                "kind": kind,
                "measure": text(o.get("measure")),
                "time_frame": clip(line(o.get("timeFrame")), 500),
            }
            for kind, key in (("primary", "primaryOutcomes"), ("secondary", "secondaryOutcomes"))
            for o in (as_dict(x) for x in as_list(outcomes.get(key)))
            if text(o.get("measure"))
        ],
    }
    lead = as_dict(sponsors.get("leadSponsor"))
    organisation = as_dict(ident.get("organization"))
    data["primary_sponsor_name"] = line(lead.get("name")) or line(organisation.get("fullName"))
    data["sponsor_type"] = sponsor_type(lead.get("class") or organisation.get("class"))
    data["secondary_sponsors"] = [
        clip(line(as_dict(c).get("name")), 500)
        for c in as_list(sponsors.get("collaborators"))
        if line(as_dict(c).get("name"))
    ]
    for struct, planned, actual in (
        ("startDateStruct", "planned_start_date", "actual_start_date"),
        ("completionDateStruct", "planned_end_date", "actual_end_date"),
    ):
        value = as_dict(status.get(struct))
        date = _checked(
            actual if enum_key(value.get("type")) == "ACTUAL" else planned,
            parse_date,
            value.get("date"),
        )
        if date is not None:
            data[actual if enum_key(value.get("type")) == "ACTUAL" else planned] = date
    registered = _checked(
        "registered_on",
        parse_date,
        as_dict(status.get("studyFirstPostDateStruct")).get("date")
        or status.get("studyFirstSubmitDate"),
    )
    if registered is not None:
        data["registered_on"] = registered
    enrolment = as_dict(design.get("enrollmentInfo"))
    count = _checked("target_enrolment", parse_int, enrolment.get("count"))
    if count is not None:
        data[
            "actual_enrolment"
            if enum_key(enrolment.get("type")) == "ACTUAL"
            else "target_enrolment"
        ] = count
    inclusion, exclusion = split_criteria(eligibility.get("eligibilityCriteria"))
    data["inclusion_criteria"] = inclusion
    data["exclusion_criteria"] = exclusion
    data["min_age_years"] = _checked("min_age_years", parse_age, eligibility.get("minimumAge"))
    data["max_age_years"] = _checked("max_age_years", parse_age, eligibility.get("maximumAge"))
    sex = enum_key(eligibility.get("sex"))
    data["sex"] = {"FEMALE": "female", "MALE": "male"}.get(sex, "all")
    data["healthy_volunteers"] = parse_bool(eligibility.get("healthyVolunteers"))
    sharing = enum_key(ipd.get("ipdSharing"))
    if sharing:
        data["ipd_sharing"] = {"YES": "yes", "NO": "no"}.get(sharing, "undecided")
        data["ipd_sharing_statement"] = text(ipd.get("description"))
    central = [as_dict(c) for c in as_list(contacts.get("centralContacts"))]
    if central:
        data["public_contact_name"] = clip(line(central[0].get("name")), 200)
        data["public_contact_email"] = line(central[0].get("email"))
        data["public_contact_phone"] = clip(line(central[0].get("phone")), 40)
    officials = [as_dict(c) for c in as_list(contacts.get("overallOfficials"))]
    if officials:
        data["scientific_contact_name"] = clip(line(officials[0].get("name")), 200)
        data["scientific_contact_affiliation"] = clip(line(officials[0].get("affiliation")), 300)
    sites = [
        _site(as_dict(location), index, overall)
        for index, location in enumerate(as_list(contacts.get("locations")))
    ]
    data["sites"] = sites
    countries: list[str] = []
    for site in sites:
        if site["country"] not in countries:
            countries.append(site["country"])
    data["countries"] = countries
    return data


def _shape(stream: IO[bytes]) -> str:
    """`item` for a list, `studies.item` for an API page, `` for one study."""
    try:
        for prefix, event, value in ijson.parse(stream):
            if prefix == "" and event == "start_array":
                return "item"
            if prefix == "" and event == "map_key":
                if value == "studies":
                    return "studies.item"
                if value not in ("nextPageToken", "totalCount"):
                    return ""
            if prefix == "" and event not in ("start_map", "map_key"):
                break
    except ijson.JSONError as error:
        raise ImportFileError(
            code="json_invalid",
            message=_("not valid JSON: %(error)s") % {"error": first_line(error)},
        ) from None
    raise ImportFileError(
        code="json_shape",
        message=_("not ClinicalTrials.gov API v2 JSON (one study, a list or an API page)"),
    )


def iter_json_items(path: Path) -> Iterator[Any]:
    """Stream the studies of a v2 JSON file (file errors as ImportFileError)."""
    with path.open("rb") as stream:
        prefix = _shape(stream)
    with path.open("rb") as stream:
        try:
            yield from ijson.items(stream, prefix, use_float=True)
        except ijson.JSONError as error:
            raise ImportFileError(
                code="json_invalid",
                message=_("not valid JSON: %(error)s") % {"error": first_line(error)},
            ) from None


def parse_study(number: int, study: Any) -> ParsedRecord:
    return build(number, lambda: study_data(as_dict(study)))


def read(path: Path) -> Iterator[ParsedRecord]:
    for number, study in enumerate(iter_json_items(path), start=1):
        yield parse_study(number, study)
