"""Every real record is kept: a part that cannot be understood becomes a note, not a rejection.

Each real ClinicalTrials.gov record in tests/registry/data (API v2, classic JSON, legacy XML)
is changed in one field at a time to an odd but real value; every variant imports (nothing
rejected) with exactly the notes that field deserves, and imports again unchanged. Only a
record with neither an identifier nor a title is rejected.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from defusedxml.ElementTree import parse as xml_parse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studienav.core.models import AuditEvent
from studienav.registry.importers import ctgov, ctgov_classic, ctgov_xml, import_file
from studienav.registry.importers._common import ParsedRecord
from studienav.registry.models import Study
from studienav.registry.organisations import OrganisationMatcher
from studienav.registry.schema import StudyRecord

DATA = Path(__file__).parent / "data"
FILES = sorted(
    p for folder in ("ctgov-v2", "ctgov-classic", "ctgov-xml") for p in (DATA / folder).iterdir()
)
LONG = "A summary that goes on. " * 1000  # 24,000 characters, one line


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


# --- one study in each format, changed where a field lives -------------------------------


def _v2_modules(study: dict[str, Any]) -> dict[str, Any]:
    return study.setdefault("protocolSection", {})


def _classic_modules(study: dict[str, Any]) -> dict[str, Any]:
    full = study["FullStudiesResponse"]["FullStudies"][0]["Study"]
    return full.setdefault("ProtocolSection", {})


def _module(modules: dict[str, Any], name: str) -> dict[str, Any]:
    return modules.setdefault(name, {})


def _xml_set(root: ElementTree.Element, path: str, value: str) -> None:
    """Set the text of `path` (a/b/c), making the elements that are missing."""
    element = root
    for tag in path.split("/"):
        found = element.find(tag)
        element = found if found is not None else ElementTree.SubElement(element, tag)
    textblock = element.find("textblock")
    (textblock if textblock is not None else element).text = value


def _xml_remove(root: ElementTree.Element, *tags: str) -> None:
    for tag in tags:
        for element in root.findall(tag):
            root.remove(element)


@dataclass
class Change:
    """One odd value, written into a study of each format."""

    v2: Callable[[dict[str, Any]], None]
    classic: Callable[[dict[str, Any]], None]
    xml: Callable[[ElementTree.Element], None]
    notes: set[str] = field(default_factory=set)  # note fields, list positions taken out
    check: Callable[[StudyRecord], None] | None = None


def _both(name: str, key: str, value: Any) -> tuple[Callable[..., None], ...]:
    """Setters for the same field in API v2 (camelCase) and classic JSON (PascalCase)."""

    def v2(study: dict[str, Any]) -> None:
        _module(_v2_modules(study), name)[key] = value

    def classic(study: dict[str, Any]) -> None:
        module = name[0].upper() + name[1:]
        _module(_classic_modules(study), module)[key[0].upper() + key[1:]] = value

    return v2, classic


def _set_nct(value: str) -> Change:
    v2 = _both("identificationModule", "nctId", value)[0]

    def classic(study: dict[str, Any]) -> None:
        _module(_classic_modules(study), "IdentificationModule")["NCTId"] = value

    def check(record: StudyRecord) -> None:
        assert ("other", value) in [(i.scheme, i.value) for i in record.identifiers]

    return Change(
        v2, classic, lambda r: _xml_set(r, "id_info/nct_id", value), {"identifiers"}, check
    )


def _no_brief_title() -> Change:
    v2, classic = _both("identificationModule", "briefTitle", "")

    def check(record: StudyRecord) -> None:
        # The scientific title stands in, as the mapping always did.
        assert record.scientific_title.startswith(record.public_title.removesuffix("…"))

    return Change(v2, classic, lambda r: _xml_set(r, "brief_title", ""), check=check)


def _no_titles() -> Change:
    def v2(study: dict[str, Any]) -> None:
        module = _module(_v2_modules(study), "identificationModule")
        module.update(briefTitle="", officialTitle="", acronym="")

    def classic(study: dict[str, Any]) -> None:
        module = _module(_classic_modules(study), "IdentificationModule")
        module.update(BriefTitle="", OfficialTitle="", Acronym="")

    def xml(root: ElementTree.Element) -> None:
        _xml_remove(root, "brief_title", "official_title", "acronym")

    def check(record: StudyRecord) -> None:
        assert record.public_title == record.identifiers[0].value

    return Change(v2, classic, xml, {"public_title"}, check)


def _study_type(value: str) -> Change:
    def check(record: StudyRecord) -> None:
        assert record.study_type in ("drug", "device", "other_interventional")

    v2, classic = _both("designModule", "studyType", value)
    return Change(v2, classic, lambda r: _xml_set(r, "study_type", value), {"study_type"}, check)


def _no_design_module() -> Change:
    return Change(
        lambda s: _v2_modules(s).pop("designModule", None),
        lambda s: _classic_modules(s).pop("DesignModule", None),
        lambda r: _xml_remove(r, "study_type", "phase", "enrollment", "study_design_info"),
        {"study_type"},
    )


def _phase(value: str) -> Change:
    v2 = _both("designModule", "phases", [value])[0]

    def classic_phase(study: dict[str, Any]) -> None:
        _module(_classic_modules(study), "DesignModule")["PhaseList"] = {"Phase": [value]}

    def check(record: StudyRecord) -> None:
        assert record.phase == "na"

    return Change(v2, classic_phase, lambda r: _xml_set(r, "phase", value), {"phase"}, check)


def _status(value: str) -> Change:
    def check(record: StudyRecord) -> None:
        assert record.overall_status == "unknown"

    v2, classic = _both("statusModule", "overallStatus", value)
    return Change(
        v2, classic, lambda r: _xml_set(r, "overall_status", value), {"overall_status"}, check
    )


def _sex(value: str) -> Change:
    def check(record: StudyRecord) -> None:
        assert record.sex == "all"

    v2 = _both("eligibilityModule", "sex", value)[0]
    classic = _both("eligibilityModule", "gender", value)[1]
    return Change(v2, classic, lambda r: _xml_set(r, "eligibility/gender", value), {"sex"}, check)


def _ages(minimum: str, maximum: str, notes: set[str], expected: int | None) -> Change:
    def v2(study: dict[str, Any]) -> None:
        _module(_v2_modules(study), "eligibilityModule").update(
            minimumAge=minimum, maximumAge=maximum
        )

    def classic(study: dict[str, Any]) -> None:
        _module(_classic_modules(study), "EligibilityModule").update(
            MinimumAge=minimum, MaximumAge=maximum
        )

    def xml(root: ElementTree.Element) -> None:
        _xml_set(root, "eligibility/minimum_age", minimum)
        _xml_set(root, "eligibility/maximum_age", maximum)

    def check(record: StudyRecord) -> None:
        assert (record.min_age_years, record.max_age_years) == (expected, None)

    return Change(v2, classic, xml, notes, check)


def _start_date(value: str) -> Change:
    def v2(study: dict[str, Any]) -> None:
        _module(_v2_modules(study), "statusModule")["startDateStruct"] = {"date": value}

    def classic(study: dict[str, Any]) -> None:
        _module(_classic_modules(study), "StatusModule")["StartDateStruct"] = {"StartDate": value}

    def check(record: StudyRecord) -> None:
        assert record.planned_start_date is None

    def xml(root: ElementTree.Element) -> None:
        _xml_remove(root, "start_date")  # and its type (actual): a date of no kind
        _xml_set(root, "start_date", value)

    return Change(v2, classic, xml, {"planned_start_date"}, check)


def _emails(value: str) -> Change:
    site = {"facility": "Odd Site", "city": "Berlin", "country": "Germany"}

    def v2(study: dict[str, Any]) -> None:
        module = _module(_v2_modules(study), "contactsLocationsModule")
        module["centralContacts"] = [{"name": "Odd Contact", "email": value}]
        contact = {"name": "Site Contact", "role": "CONTACT", "email": value}
        module.setdefault("locations", []).append({**site, "contacts": [contact]})

    def classic(study: dict[str, Any]) -> None:
        module = _module(_classic_modules(study), "ContactsLocationsModule")
        module["CentralContactList"] = {
            "CentralContact": [{"CentralContactName": "Odd Contact", "CentralContactEMail": value}]
        }
        location = {
            "LocationFacility": site["facility"],
            "LocationCity": site["city"],
            "LocationCountry": site["country"],
            "LocationContactList": {
                "LocationContact": [
                    {
                        "LocationContactName": "Site Contact",
                        "LocationContactRole": "Contact",
                        "LocationContactEMail": value,
                    }
                ]
            },
        }
        module.setdefault("LocationList", {}).setdefault("Location", []).append(location)

    def xml(root: ElementTree.Element) -> None:
        _xml_remove(root, "overall_contact")
        _xml_set(root, "overall_contact/last_name", "Odd Contact")
        _xml_set(root, "overall_contact/email", value)
        location = ElementTree.SubElement(root, "location")
        _xml_set(location, "facility/name", site["facility"])
        _xml_set(location, "facility/address/city", site["city"])
        _xml_set(location, "facility/address/country", site["country"])
        _xml_set(location, "contact/last_name", "Site Contact")
        _xml_set(location, "contact/email", value)

    def check(record: StudyRecord) -> None:
        assert record.public_contact_email == ""
        assert record.sites[-1].organisation == "Odd Site"
        assert record.sites[-1].contact_email == ""

    return Change(v2, classic, xml, {"public_contact_email", "sites.contact_email"}, check)


def _long_summary() -> Change:
    def check(record: StudyRecord) -> None:
        assert len(record.summary_en) == 20_000

    v2, classic = _both("descriptionModule", "briefSummary", LONG)
    return Change(v2, classic, lambda r: _xml_set(r, "brief_summary", LONG), {"summary_en"}, check)


def _enrolment(value: str) -> Change:
    def v2(study: dict[str, Any]) -> None:
        _module(_v2_modules(study), "designModule")["enrollmentInfo"] = {"count": value}

    def classic(study: dict[str, Any]) -> None:
        _module(_classic_modules(study), "DesignModule")["EnrollmentInfo"] = {
            "EnrollmentCount": value
        }

    return Change(v2, classic, lambda r: _xml_set(r, "enrollment", value), {"target_enrolment"})


_MODULES = ("statusModule", "eligibilityModule", "contactsLocationsModule", "outcomesModule")


def _missing_modules() -> Change:
    def v2(study: dict[str, Any]) -> None:
        for name in _MODULES:
            _v2_modules(study).pop(name, None)

    def classic(study: dict[str, Any]) -> None:
        for name in _MODULES:
            _classic_modules(study).pop(name[0].upper() + name[1:], None)

    def xml(root: ElementTree.Element) -> None:
        _xml_remove(
            root,
            "overall_status",
            "start_date",
            "completion_date",
            "eligibility",
            "location",
            "overall_contact",
            "primary_outcome",
            "secondary_outcome",
        )

    def check(record: StudyRecord) -> None:
        assert record.sites == [] and record.outcomes == []

    return Change(v2, classic, xml, check=check)


CHANGES: dict[str, Change] = {
    "nct_too_short": _set_nct("NCT123"),
    "nct_in_words": _set_nct("not yet registered"),
    "brief_title_empty_official_left": _no_brief_title(),
    "no_title_at_all_but_an_identifier": _no_titles(),
    "study_type_unknown": _study_type("Exploratory pilot"),
    "design_module_missing": _no_design_module(),
    "phase_unknown": _phase("PHASE9"),
    "status_unknown": _status("Paused for the summer"),
    "sex_unknown": _sex("Sometimes"),
    "age_not_applicable": _ages("N/A", "N/A", set(), None),
    "age_in_months": _ages("18 Months", "N/A", set(), 1),
    "age_in_words": _ages("old enough", "N/A", {"min_age_years"}, None),
    "start_date_in_words": _start_date("sometime in spring"),
    "start_date_impossible": _start_date("2021-02-30"),
    "emails_invalid": _emails("not-an-e-mail"),
    "summary_over_long": _long_summary(),
    "enrolment_in_words": _enrolment("about forty"),
    "modules_missing": _missing_modules(),
}


def _variant(path: Path, change: Change, folder: Path) -> Path:
    """The real record of `path` with one change, written as a file of the same format."""
    out = folder / path.parent.name / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".xml":
        tree = xml_parse(path)
        change.xml(tree.getroot())
        tree.write(out, encoding="utf-8", xml_declaration=True)
        return out
    study = json.loads(path.read_text(encoding="utf-8"))
    (change.classic if path.parent.name == "ctgov-classic" else change.v2)(study)
    out.write_text(json.dumps(study), encoding="utf-8")
    return out


def _parsed(path: Path) -> ParsedRecord:
    read = {"ctgov-v2": ctgov.read, "ctgov-classic": ctgov_classic.read}.get(
        path.parent.name, ctgov_xml.read
    )
    (parsed,) = list(read(path))
    return parsed


def _fields(notes: list[Any]) -> set[str]:
    """Note fields without list positions (`sites.3.contact_email` -> `sites.contact_email`)."""
    names = [n.field if hasattr(n, "field") else n["field"] for n in notes]
    return {re.sub(r"\.\d+", "", name) for name in names}


def _baseline(path: Path) -> set[str]:
    return _fields(_parsed(path).notes)


# --- the records, changed -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_every_real_record_changed_in_one_field_is_kept_with_the_right_notes(
    name: str, tmp_path: Path
) -> None:
    change = CHANGES[name]
    for path in FILES:
        parsed = _parsed(_variant(path, change, tmp_path))
        assert parsed.errors == [], (path.name, parsed.errors)
        assert parsed.record is not None
        expected = change.notes | _baseline(path)
        assert _fields(parsed.notes) == expected, (path.name, parsed.notes)
        assert all(len(n.value) <= 200 for n in parsed.notes)
        if change.check is not None:
            change.check(parsed.record)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CHANGES))
def test_every_changed_record_imports_and_imports_again_unchanged(
    name: str, tmp_path: Path
) -> None:
    change = CHANGES[name]
    paths = [_variant(path, change, tmp_path) for path in FILES]
    matcher = OrganisationMatcher()
    first = [import_file(path=path, matcher=matcher) for path in paths]
    assert [(p.name, r.rejected) for p, r in zip(paths, first, strict=True)] == [
        (p.name, 0) for p in paths
    ]
    if change.notes:
        flagged = Study.objects.exclude(import_notes_open=0)
        assert flagged.exists()
        assert all(change.notes <= _fields(study.import_notes) for study in flagged)
    events = AuditEvent.objects.count()
    again = [import_file(path=path, matcher=matcher) for path in paths]
    assert [
        (p.name, r.created, r.updated, r.rejected) for p, r in zip(paths, again, strict=True)
    ] == [(p.name, 0, 0, 0) for p in paths]
    assert AuditEvent.objects.count() == events
    assert sum(r.flagged for r in again) == sum(r.flagged for r in first)


@pytest.mark.django_db
def test_the_notes_of_a_record_are_on_its_study_with_value_and_message(tmp_path: Path) -> None:
    path = _variant(DATA / "ctgov-v2" / "NCT03418623.json", CHANGES["age_in_words"], tmp_path)
    report = import_file(path=path)
    assert report.lines == [
        f"{path}#1: min_age_years: 'old enough' is not an age (for example 18 Years) "
        "(kept for review)"
    ]
    study = Study.objects.get()
    assert study.min_age_years is None
    (note,) = study.import_notes
    assert {k: note[k] for k in ("field", "value", "message", "source")} == {
        "field": "min_age_years",
        "value": "old enough",
        "message": "'old enough' is not an age (for example 18 Years)",
        "source": "ctgov",
    }
    assert study.import_notes_open == 1


@pytest.mark.django_db
def test_a_reimport_that_understands_the_field_clears_its_note(tmp_path: Path) -> None:
    real = DATA / "ctgov-v2" / "NCT03418623.json"
    odd = _variant(real, CHANGES["age_in_words"], tmp_path)
    import_file(path=odd)
    again = import_file(path=real)
    assert (again.updated, again.flagged) == (1, 0)
    study = Study.objects.get()
    assert (study.import_notes, study.import_notes_open) == ([], 0)
    assert study.min_age_years == 21
    assert AuditEvent.objects.filter(action="study.import_update").count() == 1


@pytest.mark.django_db
def test_a_nul_character_in_a_text_is_taken_out_with_a_note(tmp_path: Path) -> None:
    study = json.loads((DATA / "ctgov-v2" / "NCT03418623.json").read_text(encoding="utf-8"))
    study["protocolSection"]["descriptionModule"]["briefSummary"] = "Before\x00after"
    path = tmp_path / "nul.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    report = import_file(path=path)
    assert (report.created, report.rejected, report.flagged) == (1, 0, 1)
    stored = Study.objects.get()
    assert stored.summary_en == "Beforeafter"
    assert [(n["field"], n["value"]) for n in stored.import_notes] == [
        ("summary_en", "Beforeafter")
    ]


# --- only a record without identity is rejected ---------------------------------------------


def _nameless_v2(study: dict[str, Any]) -> None:
    module = _module(_v2_modules(study), "identificationModule")
    for key in ("nctId", "orgStudyIdInfo", "secondaryIdInfos", "briefTitle", "officialTitle"):
        module.pop(key, None)
    module.pop("acronym", None)


def _nameless_classic(study: dict[str, Any]) -> None:
    module = _module(_classic_modules(study), "IdentificationModule")
    for key in ("NCTId", "OrgStudyIdInfo", "SecondaryIdInfoList", "BriefTitle", "OfficialTitle"):
        module.pop(key, None)
    module.pop("Acronym", None)


def _nameless_xml(root: ElementTree.Element) -> None:
    _xml_remove(root, "id_info", "brief_title", "official_title", "acronym")


NAMELESS = Change(_nameless_v2, _nameless_classic, _nameless_xml)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "real",
    [
        DATA / "ctgov-v2" / "NCT03418623.json",
        DATA / "ctgov-classic" / "NCT04780763.json",
        DATA / "ctgov-xml" / "NCT01029262.xml",
    ],
    ids=lambda p: p.parent.name,
)
def test_a_record_with_no_identifier_and_no_title_is_rejected_with_a_clear_line(
    real: Path, tmp_path: Path
) -> None:
    path = _variant(real, NAMELESS, tmp_path)
    report = import_file(path=path)
    assert (report.created, report.rejected) == (0, 1)
    assert report.lines == [
        f"{path}#1: record: the record has neither a usable identifier nor a title, so it "
        "cannot be told apart from others"
    ]
    assert not Study.objects.exists()


@pytest.mark.django_db
def test_a_record_whose_only_identifier_is_unreadable_and_has_no_title_is_rejected(
    tmp_path: Path,
) -> None:
    study = json.loads((DATA / "ctgov-v2" / "NCT03418623.json").read_text(encoding="utf-8"))
    _nameless_v2(study)
    study["protocolSection"]["identificationModule"]["nctId"] = "NCT123"
    path = tmp_path / "one.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    report = import_file(path=path)
    assert report.rejected == 1 and report.lines[0].startswith(f"{path}#1: record: ")


# --- whatever the other fields hold, a record with its identity is kept ---------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_BASE = json.loads((DATA / "ctgov-v2" / "NCT03418623.json").read_text(encoding="utf-8"))
_PATHS = [
    ("identificationModule", "secondaryIdInfos"),
    ("identificationModule", "acronym"),
    ("statusModule", "overallStatus"),
    ("statusModule", "startDateStruct"),
    ("statusModule", "completionDateStruct"),
    ("designModule", "phases"),
    ("designModule", "enrollmentInfo"),
    ("designModule", "studyType"),
    ("armsInterventionsModule", "interventions"),
    ("descriptionModule", "briefSummary"),
    ("eligibilityModule", "minimumAge"),
    ("eligibilityModule", "maximumAge"),
    ("eligibilityModule", "sex"),
    ("contactsLocationsModule", "locations"),
    ("contactsLocationsModule", "centralContacts"),
    ("conditionsModule", "conditions"),
    ("conditionsModule", "keywords"),
    ("outcomesModule", "primaryOutcomes"),
    ("sponsorCollaboratorsModule", "leadSponsor"),
    ("ipdSharingStatementModule", "ipdSharing"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.sampled_from(_PATHS), _JSON), min_size=1, max_size=6))
def test_a_record_with_its_number_and_title_is_kept_whatever_else_it_holds(
    changes: list[tuple[tuple[str, str], Any]],
) -> None:
    study = copy.deepcopy(_BASE)
    for (module, key), value in changes:
        section = study["protocolSection"].setdefault(module, {})
        section[key] = value
    parsed = ctgov.parse_study(1, study)
    assert parsed.errors == []
    assert parsed.record is not None
    assert parsed.record.identifiers[0].value == "NCT03418623"
    assert all(isinstance(n.field, str) and len(n.value) <= 200 for n in parsed.notes)
