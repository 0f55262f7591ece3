"""ClinicalTrials.gov API v2 JSON: one study, a list of studies, or an API page.

An API page is `{"studies": [...], "nextPageToken": "..."}`. The file is streamed with ijson,
so memory stays flat however many studies it holds. `study_data` maps one study (the
`protocolSection` modules) to the fields of a `StudyRecord`; the classic JSON and the legacy
XML importers bring their input into this shape first and reuse it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from studienav.registry import identifiers as ids
from studienav.registry.importers._common import (
    ImportFileError,
    Notes,
    ParsedRecord,
    as_dict,
    as_list,
    clip,
    enum_key,
    line,
    parse_age,
    parse_bool,
    parse_date,
    parse_int,
    site_country,
    split_criteria,
    text,
)
from studienav.registry.importers._json import json_items, parse_events
from studienav.registry.importers._limits import ImportLimits
from studienav.registry.importers._salvage import build
from studienav.registry.models import IdentifierScheme, StudyType

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

_SEX = {"FEMALE": "female", "MALE": "male", "ALL": "all", "BOTH": "all"}
_IPD_SHARING = {"YES": "yes", "NO": "no", "UNDECIDED": "undecided"}

_SPONSOR_TYPE = {
    "INDUSTRY": "industry",
    "NIH": "other_public",
    "FED": "other_public",
    "U_S_FED": "other_public",
    "OTHER_GOV": "other_public",
}


def phase(values: list[Any], notes: Notes | None = None) -> str:
    """The phases list as our phase: `PHASE1` + `PHASE2` is 1/2; none or `NA` is n/a (and so
    is a list it cannot read, with a note)."""
    keys = {enum_key(v).replace("_PHASE_", "_PHASE").replace("PHASE_", "PHASE") for v in values}
    keys.discard("NA")
    keys -= {"NOT_APPLICABLE", "N_A", ""}
    if not keys:
        return "na"
    found = _PHASES.get(frozenset(keys))
    if found is None:
        if notes is not None:
            notes.add(
                "phase",
                [line(v) for v in values],
                _("%(value)s is not a phase; kept as not applicable until checked")
                % {"value": ", ".join(sorted(keys))[:80]},
            )
        return "na"
    return found


def sponsor_type(value: Any) -> str:
    return _SPONSOR_TYPE.get(enum_key(value), "academic")


def study_type(kind: Any, intervention_types: list[str], notes: Notes | None = None) -> str:
    """Observational stays so; an interventional study is a drug trial when it tests a drug or
    biological, a device investigation when it tests a device, otherwise other interventional.

    A study type that is missing or unknown is taken as interventional (the careful choice:
    it claims no less of the study than it may be), by its interventions as above, and noted.
    """
    key = enum_key(kind)
    if key.startswith("OBSERVATIONAL"):
        return "observational"
    if {"drug", "biological"} & set(intervention_types):
        chosen = "drug"
    elif "device" in intervention_types:
        chosen = "device"
    else:
        chosen = "other_interventional"
    if key not in _INTERVENTIONAL and notes is not None:
        missing = (
            _("the record has no study type (designModule.studyType)")
            if not key
            else _("%(value)s is not a study type (designModule.studyType)")
            % {"value": repr(line(kind)[:40])}
        )
        kept = (
            _("%(problem)s; kept as %(type)s, the careful choice, until checked")
            if chosen == "other_interventional"
            else _("%(problem)s; kept as %(type)s, as its interventions say, until checked")
        )
        notes.add(
            "study_type",
            kind,
            kept % {"problem": missing, "type": str(StudyType(chosen).label).lower()},
        )
    return chosen


_INTERVENTIONAL = {"INTERVENTIONAL", "EXPANDED_ACCESS"}


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


def _site(location: dict[str, Any], overall: str) -> dict[str, Any]:
    facility = line(location.get("facility"))
    city = line(location.get("city"))
    country, country_as_given = site_country(location.get("country"))
    status = SITE_STATUS.get(enum_key(location.get("status")))
    if status is None:
        # Every other per-site status says the site no longer recruits.
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
        "country_as_given": country_as_given,
        "recruitment_status": status,
        "principal_investigator": clip(investigator, 200),
        "contact_name": clip(line(contact.get("name")), 200),
        "contact_email": line(contact.get("email")),
        "contact_phone": clip(line(contact.get("phone")), 40),
    }
    if geo.get("lat") is not None and geo.get("lon") is not None:
        site["latitude"] = geo["lat"]  # validated (and noted if unreadable) with the record
        site["longitude"] = geo["lon"]
    return site


def study_data(
    study: dict[str, Any], *, source: str = SOURCE, notes: Notes | None = None
) -> dict[str, Any]:
    """The fields of a `StudyRecord` from one API v2 study (validated by the caller); what
    cannot be read of it is left out and noted in `notes`."""
    notes = notes if notes is not None else Notes()
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
    overall = notes.choice(
        "overall_status",
        OVERALL_STATUS,
        enum_key(status.get("overallStatus")),
        status.get("overallStatus"),
        "unknown",
    )
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
        "study_type": study_type(
            design.get("studyType"), [i["type"] for i in interventions], notes
        ),
        "phase": phase(as_list(design.get("phases")), notes),
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
        name = actual if enum_key(value.get("type")) == "ACTUAL" else planned
        date = notes.parsed(name, parse_date, value.get("date"))
        if date is not None:
            data[name] = date
    registered = notes.parsed(
        "registered_on",
        parse_date,
        as_dict(status.get("studyFirstPostDateStruct")).get("date")
        or status.get("studyFirstSubmitDate"),
    )
    if registered is not None:
        data["registered_on"] = registered
    enrolment = as_dict(design.get("enrollmentInfo"))
    count = notes.parsed("target_enrolment", parse_int, enrolment.get("count"))
    if count is not None:
        data[
            "actual_enrolment"
            if enum_key(enrolment.get("type")) == "ACTUAL"
            else "target_enrolment"
        ] = count
    inclusion, exclusion = split_criteria(eligibility.get("eligibilityCriteria"))
    data["inclusion_criteria"] = inclusion
    data["exclusion_criteria"] = exclusion
    data["min_age_years"] = notes.parsed("min_age_years", parse_age, eligibility.get("minimumAge"))
    data["max_age_years"] = notes.parsed("max_age_years", parse_age, eligibility.get("maximumAge"))
    data["sex"] = notes.choice(
        "sex", _SEX, enum_key(eligibility.get("sex")), eligibility.get("sex"), "all"
    )
    data["healthy_volunteers"] = parse_bool(eligibility.get("healthyVolunteers"))
    sharing = enum_key(ipd.get("ipdSharing"))
    if sharing:
        data["ipd_sharing"] = notes.choice(
            "ipd_sharing", _IPD_SHARING, sharing, ipd.get("ipdSharing"), "undecided"
        )
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
    sites = [_site(as_dict(location), overall) for location in as_list(contacts.get("locations"))]
    data["sites"] = sites
    countries: list[str] = []
    for site in sites:
        if site["country"] not in countries:
            countries.append(site["country"])
    data["countries"] = countries
    return data


def _shape(path: Path, limits: ImportLimits) -> str:
    """`item` for a list, `studies.item` for an API page, `` for one study."""
    for prefix, event, value in parse_events(path, limits):
        if prefix == "" and event == "start_array":
            return "item"
        if prefix == "" and event == "map_key":
            if value == "studies":
                return "studies.item"
            if value not in ("nextPageToken", "totalCount"):
                return ""
        if prefix == "" and event not in ("start_map", "map_key"):
            break
    raise ImportFileError(
        code="json_shape",
        message=_("not ClinicalTrials.gov API v2 JSON (one study, a list or an API page)"),
    )


def iter_json_items(path: Path, limits: ImportLimits | None = None) -> Iterator[Any]:
    """Stream the studies of a v2 JSON file (file errors as ImportFileError)."""
    limits = limits or ImportLimits.from_settings()
    yield from json_items(path, _shape(path, limits), limits)


def parse_study(number: int, study: Any) -> ParsedRecord:
    return build(number, lambda notes: study_data(as_dict(study), notes=notes))


def read(path: Path, *, limits: ImportLimits | None = None) -> Iterator[ParsedRecord]:
    for number, study in enumerate(iter_json_items(path, limits), start=1):
        yield parse_study(number, study)
