"""ClinicalTrials.gov classic API JSON (`FullStudiesResponse`, PascalCase modules).

Streams `FullStudiesResponse.FullStudies[].Study` (also a bare list of `{"Study": ...}` or a
single `{"Study": ...}`), brings each study into the API v2 shape (camelCase modules, lists
without their `...List` wrappers, upper-case enumerations are normalised by the v2 mapping)
and maps it with `ctgov.study_data`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from studienav.registry.importers import ctgov
from studienav.registry.importers._common import (
    ImportFileError,
    Notes,
    ParsedRecord,
    as_dict,
    as_list,
)
from studienav.registry.importers._json import json_items, parse_events
from studienav.registry.importers._limits import ImportLimits
from studienav.registry.importers._salvage import build

SOURCE = "ctgov"


def _list(module: dict[str, Any], wrapper: str, item: str) -> list[Any]:
    return as_list(as_dict(module.get(wrapper)).get(item))


def _date(struct: dict[str, Any], name: str) -> dict[str, Any]:
    return {"date": struct.get(name), "type": struct.get(f"{name}Type")}


def to_v2(study: dict[str, Any]) -> dict[str, Any]:
    """A classic study in the API v2 shape (only the fields the v2 mapping reads)."""
    p = as_dict(as_dict(study).get("ProtocolSection"))
    ident = as_dict(p.get("IdentificationModule"))
    status = as_dict(p.get("StatusModule"))
    sponsors = as_dict(p.get("SponsorCollaboratorsModule"))
    desc = as_dict(p.get("DescriptionModule"))
    cond = as_dict(p.get("ConditionsModule"))
    design = as_dict(p.get("DesignModule"))
    arms = as_dict(p.get("ArmsInterventionsModule"))
    outcomes = as_dict(p.get("OutcomesModule"))
    elig = as_dict(p.get("EligibilityModule"))
    contacts = as_dict(p.get("ContactsLocationsModule"))
    ipd = as_dict(p.get("IPDSharingStatementModule"))
    lead = as_dict(sponsors.get("LeadSponsor"))
    enrolment = as_dict(design.get("EnrollmentInfo"))
    locations = []
    for raw in _list(contacts, "LocationList", "Location"):
        location = as_dict(raw)
        locations.append(
            {
                "facility": location.get("LocationFacility"),
                "city": location.get("LocationCity"),
                "zip": location.get("LocationZip"),
                "country": location.get("LocationCountry"),
                "status": location.get("LocationStatus"),
                "contacts": [
                    {
                        "name": c.get("LocationContactName"),
                        "role": c.get("LocationContactRole"),
                        "email": c.get("LocationContactEMail"),
                        "phone": c.get("LocationContactPhone"),
                    }
                    for c in (
                        as_dict(x)
                        for x in _list(location, "LocationContactList", "LocationContact")
                    )
                ],
            }
        )
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": ident.get("NCTId"),
                "orgStudyIdInfo": {"id": as_dict(ident.get("OrgStudyIdInfo")).get("OrgStudyId")},
                "secondaryIdInfos": [
                    {"id": s.get("SecondaryId"), "domain": s.get("SecondaryIdDomain")}
                    for s in (
                        as_dict(x) for x in _list(ident, "SecondaryIdInfoList", "SecondaryIdInfo")
                    )
                ],
                "organization": {
                    "fullName": as_dict(ident.get("Organization")).get("OrgFullName"),
                    "class": as_dict(ident.get("Organization")).get("OrgClass"),
                },
                "briefTitle": ident.get("BriefTitle"),
                "officialTitle": ident.get("OfficialTitle"),
                "acronym": ident.get("Acronym"),
            },
            "statusModule": {
                "overallStatus": status.get("OverallStatus"),
                "startDateStruct": _date(as_dict(status.get("StartDateStruct")), "StartDate"),
                "completionDateStruct": _date(
                    as_dict(status.get("CompletionDateStruct")), "CompletionDate"
                ),
                "studyFirstPostDateStruct": _date(
                    as_dict(status.get("StudyFirstPostDateStruct")), "StudyFirstPostDate"
                ),
                "studyFirstSubmitDate": status.get("StudyFirstSubmitDate"),
            },
            "sponsorCollaboratorsModule": {
                "leadSponsor": {
                    "name": lead.get("LeadSponsorName"),
                    "class": lead.get("LeadSponsorClass"),
                },
                "collaborators": [
                    {"name": as_dict(c).get("CollaboratorName")}
                    for c in _list(sponsors, "CollaboratorList", "Collaborator")
                ],
            },
            "descriptionModule": {
                "briefSummary": desc.get("BriefSummary"),
                "detailedDescription": desc.get("DetailedDescription"),
            },
            "conditionsModule": {
                "conditions": _list(cond, "ConditionList", "Condition"),
                "keywords": _list(cond, "KeywordList", "Keyword"),
            },
            "designModule": {
                "studyType": design.get("StudyType"),
                "phases": _list(design, "PhaseList", "Phase"),
                "enrollmentInfo": {
                    "count": enrolment.get("EnrollmentCount"),
                    "type": enrolment.get("EnrollmentType"),
                },
            },
            "armsInterventionsModule": {
                "interventions": [
                    {
                        "type": i.get("InterventionType"),
                        "name": i.get("InterventionName"),
                        "description": i.get("InterventionDescription"),
                    }
                    for i in (as_dict(x) for x in _list(arms, "InterventionList", "Intervention"))
                ]
            },
            "outcomesModule": {
                "primaryOutcomes": [
                    {
                        "measure": o.get("PrimaryOutcomeMeasure"),
                        "timeFrame": o.get("PrimaryOutcomeTimeFrame"),
                    }
                    for o in (
                        as_dict(x) for x in _list(outcomes, "PrimaryOutcomeList", "PrimaryOutcome")
                    )
                ],
                "secondaryOutcomes": [
                    {
                        "measure": o.get("SecondaryOutcomeMeasure"),
                        "timeFrame": o.get("SecondaryOutcomeTimeFrame"),
                    }
                    for o in (
                        as_dict(x)
                        for x in _list(outcomes, "SecondaryOutcomeList", "SecondaryOutcome")
                    )
                ],
            },
            "eligibilityModule": {
                "eligibilityCriteria": elig.get("EligibilityCriteria"),
                "minimumAge": elig.get("MinimumAge"),
                "maximumAge": elig.get("MaximumAge"),
                "sex": elig.get("Gender"),
                "healthyVolunteers": elig.get("HealthyVolunteers"),
            },
            "contactsLocationsModule": {
                "centralContacts": [
                    {
                        "name": c.get("CentralContactName"),
                        "email": c.get("CentralContactEMail"),
                        "phone": c.get("CentralContactPhone"),
                    }
                    for c in (
                        as_dict(x) for x in _list(contacts, "CentralContactList", "CentralContact")
                    )
                ],
                "overallOfficials": [
                    {
                        "name": c.get("OverallOfficialName"),
                        "affiliation": c.get("OverallOfficialAffiliation"),
                    }
                    for c in (
                        as_dict(x)
                        for x in _list(contacts, "OverallOfficialList", "OverallOfficial")
                    )
                ],
                "locations": locations,
            },
            "ipdSharingStatementModule": {
                "ipdSharing": ipd.get("IPDSharing"),
                "description": ipd.get("IPDSharingDescription"),
            },
        }
    }


def _data(study: Any, notes: Notes) -> dict[str, Any]:
    return ctgov.study_data(to_v2(as_dict(study)), notes=notes)


def _prefix(path: Path, limits: ImportLimits) -> str:
    for prefix, event, value in parse_events(path, limits):
        if prefix == "" and event == "start_array":
            return "item.Study"
        if prefix == "" and event == "map_key":
            if value == "FullStudiesResponse":
                return "FullStudiesResponse.FullStudies.item.Study"
            if value == "Study":
                return "Study"
        if prefix == "" and event not in ("start_map", "map_key"):
            break
    raise ImportFileError(
        code="json_shape", message=_("not ClinicalTrials.gov classic JSON (FullStudiesResponse)")
    )


def read(path: Path, *, limits: ImportLimits | None = None) -> Iterator[ParsedRecord]:
    limits = limits or ImportLimits.from_settings()
    studies = json_items(path, _prefix(path, limits), limits)
    for number, study in enumerate(studies, start=1):
        yield build(number, partial(_data, study))
