"""ClinicalTrials.gov legacy per-study XML (`<clinical_study>`, bulk downloads before 2024).

Parsed with defusedxml's iterparse (no entity expansion, no external entities), one
`<clinical_study>` at a time and cleared after use, so a file holding many studies streams;
elements nested deeper than `ImportLimits.depth`, or a study larger than a record may be,
end the reading. Each study is brought into the API v2 shape and mapped with
`ctgov.study_data`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.utils.translation import gettext as _

from studienav.registry.importers import ctgov
from studienav.registry.importers._common import ImportFileError, Notes, ParsedRecord, unwrap
from studienav.registry.importers._limits import ImportLimits, RecordReader, too_deep
from studienav.registry.importers._salvage import build


def _text(element: Element | None, path: str = "") -> str:
    if element is None:
        return ""
    found = element.find(path) if path else element
    if found is None:
        return ""
    block = found.find("textblock")
    raw = (block.text if block is not None else found.text) or ""
    return unwrap(raw)  # hard-wrapped and indented: one line per paragraph or item


def _date(element: Element, tag: str) -> dict[str, Any]:
    found = element.find(tag)
    if found is None:
        return {}
    kind = found.get("type") or ""
    return {"date": _text(found), "type": "ACTUAL" if kind.lower() == "actual" else kind}


def to_v2(study: Element) -> dict[str, Any]:
    """A `<clinical_study>` element in the API v2 shape (the fields the v2 mapping reads)."""
    phases: list[str] = []
    for part in _text(study, "phase").split("/"):
        if part.strip():
            phases.append(part.strip())
    locations = []
    for location in study.findall("location"):
        facility = location.find("facility")
        address = facility.find("address") if facility is not None else None
        contacts = []
        for tag, role in (("contact", "CONTACT"), ("investigator", "PRINCIPAL_INVESTIGATOR")):
            for person in location.findall(tag):
                contacts.append(
                    {
                        "name": _text(person, "last_name"),
                        "role": _text(person, "role") or role,
                        "email": _text(person, "email"),
                        "phone": _text(person, "phone"),
                    }
                )
        locations.append(
            {
                "facility": _text(facility, "name"),
                "city": _text(address, "city"),
                "zip": _text(address, "zip"),
                "country": _text(address, "country"),
                "status": _text(location, "status"),
                "contacts": contacts,
            }
        )
    enrolment = study.find("enrollment")
    eligibility = study.find("eligibility")
    contact = study.find("overall_contact")
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": _text(study, "id_info/nct_id"),
                "orgStudyIdInfo": {"id": _text(study, "id_info/org_study_id")},
                "secondaryIdInfos": [
                    {"id": _text(s)} for s in study.findall("id_info/secondary_id")
                ],
                "organization": {"fullName": _text(study, "sponsors/lead_sponsor/agency")},
                "briefTitle": _text(study, "brief_title"),
                "officialTitle": _text(study, "official_title"),
                "acronym": _text(study, "acronym"),
            },
            "statusModule": {
                "overallStatus": _text(study, "overall_status"),
                "startDateStruct": _date(study, "start_date"),
                "completionDateStruct": _date(study, "completion_date"),
                "studyFirstPostDateStruct": _date(study, "study_first_posted"),
                "studyFirstSubmitDate": _text(study, "study_first_submitted"),
            },
            "sponsorCollaboratorsModule": {
                "leadSponsor": {
                    "name": _text(study, "sponsors/lead_sponsor/agency"),
                    "class": _text(study, "sponsors/lead_sponsor/agency_class"),
                },
                "collaborators": [
                    {"name": _text(c, "agency")} for c in study.findall("sponsors/collaborator")
                ],
            },
            "descriptionModule": {
                "briefSummary": _text(study, "brief_summary"),
                "detailedDescription": _text(study, "detailed_description"),
            },
            "conditionsModule": {
                "conditions": [_text(c) for c in study.findall("condition")],
                "keywords": [_text(k) for k in study.findall("keyword")],
            },
            "designModule": {
                "studyType": _text(study, "study_type"),
                "phases": phases,
                "enrollmentInfo": {
                    "count": _text(enrolment),
                    "type": enrolment.get("type") if enrolment is not None else "",
                },
            },
            "armsInterventionsModule": {
                "interventions": [
                    {
                        "type": _text(i, "intervention_type"),
                        "name": _text(i, "intervention_name"),
                        "description": _text(i, "description"),
                    }
                    for i in study.findall("intervention")
                ]
            },
            "outcomesModule": {
                "primaryOutcomes": [
                    {"measure": _text(o, "measure"), "timeFrame": _text(o, "time_frame")}
                    for o in study.findall("primary_outcome")
                ],
                "secondaryOutcomes": [
                    {"measure": _text(o, "measure"), "timeFrame": _text(o, "time_frame")}
                    for o in study.findall("secondary_outcome")
                ],
            },
            "eligibilityModule": {
                "eligibilityCriteria": _text(eligibility, "criteria"),
                "minimumAge": _text(eligibility, "minimum_age"),
                "maximumAge": _text(eligibility, "maximum_age"),
                "sex": _text(eligibility, "gender"),
                "healthyVolunteers": _text(eligibility, "healthy_volunteers"),
            },
            "contactsLocationsModule": {
                "centralContacts": (
                    [
                        {
                            "name": _text(contact, "last_name"),
                            "email": _text(contact, "email"),
                            "phone": _text(contact, "phone"),
                        }
                    ]
                    if contact is not None
                    else []
                ),
                "overallOfficials": [
                    {"name": _text(o, "last_name"), "affiliation": _text(o, "affiliation")}
                    for o in study.findall("overall_official")
                ],
                "locations": locations,
            },
            "ipdSharingStatementModule": {
                "ipdSharing": _text(study, "patient_data/sharing_ipd"),
                "description": _text(study, "patient_data/ipd_description"),
            },
        }
    }


def _data(element: Element, notes: Notes) -> dict[str, Any]:
    return ctgov.study_data(to_v2(element), notes=notes)


def read(path: Path, *, limits: ImportLimits | None = None) -> Iterator[ParsedRecord]:
    limits = limits or ImportLimits.from_settings()
    number = depth = 0
    root: Element | None = None
    try:
        with path.open("rb") as raw:
            stream = RecordReader(raw, limit=limits.record_bytes)
            try:
                for event, element in iterparse(stream, events=("start", "end")):
                    if event == "start":
                        depth += 1
                        if depth > limits.depth:
                            raise too_deep(limits, number + 1)
                        root = element if root is None else root
                        continue
                    depth -= 1
                    if element.tag == "clinical_study":
                        number += 1
                        yield build(number, partial(_data, element))
                        element.clear()
                        stream.record_done()
                    if depth == 1 and root is not None and root.tag != "clinical_study":
                        root.clear()  # what the top element holds is read: let it go
            except (ParseError, DefusedXmlException):
                if (error := stream.error(number + 1)) is not None:
                    raise error from None
                raise
    except (ParseError, DefusedXmlException) as error:
        raise ImportFileError(
            code="xml_invalid", message=_("not valid XML: %(error)s") % {"error": error}
        ) from None
    if number == 0:
        raise ImportFileError(
            code="xml_shape", message=_("no <clinical_study> in the file (ClinicalTrials.gov XML)")
        )
