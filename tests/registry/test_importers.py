"""Importers: real registry files in, one study per identifier, clear lines for bad records."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studienav.core.demo import organisations_load
from studienav.core.models import AuditEvent, Organisation
from studienav.registry.importers import (
    ImportFileError,
    ctgov,
    ctgov_classic,
    ctgov_xml,
    ctis,
    detect_format,
    import_file,
    jsonl,
    spreadsheet,
)
from studienav.registry.importers._common import line, parse_age, split_criteria, text, unwrap
from studienav.registry.importers._salvage import build
from studienav.registry.importers.spreadsheet import spreadsheet_template
from studienav.registry.models import Site, Study, StudyState
from studienav.registry.organisations import OrganisationMatcher

DATA = Path(__file__).parent / "data"
V2 = DATA / "ctgov-v2"
PARTIAL = {"NCT00465816.json", "NCT03453554.json"}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests compare the importers' exact English messages (tests start in Swedish)."""
    with translation.override("en"):
        yield


def v2_study(nct: str, *locations: dict[str, Any], **identification: Any) -> dict[str, Any]:
    """A real API v2 study (NCT03418623) under another number, with the given locations."""
    study = json.loads((V2 / "NCT03418623.json").read_text(encoding="utf-8"))
    study["protocolSection"]["identificationModule"]["nctId"] = nct
    study["protocolSection"]["identificationModule"].update(identification)
    study["protocolSection"]["contactsLocationsModule"]["locations"] = list(locations)
    return study


def write_page(path: Path, *studies: Any, token: str | None = None) -> Path:
    page: dict[str, Any] = {"studies": list(studies)}
    if token:
        page["nextPageToken"] = token
    path.write_text(json.dumps(page), encoding="utf-8")
    return path


def _all_files() -> list[Path]:
    return sorted(
        p
        for folder in ("ctgov-v2", "ctgov-classic", "ctgov-xml")
        for p in (DATA / folder).iterdir()
    )


# --- parsing, no database ---------------------------------------------------------------


NO_STUDY_TYPE = (
    "the record has no study type (designModule.studyType); kept as other interventional "
    "study, the careful choice, until checked"
)


def test_every_v2_file_maps_to_a_record_the_two_partial_ones_with_a_note() -> None:
    for path in sorted(V2.iterdir()):
        (parsed,) = list(ctgov.read(path))
        assert parsed.errors == [], path.name
        assert parsed.record is not None and parsed.record.source == "ctgov"
        if path.name in PARTIAL:
            assert [(n.field, n.message) for n in parsed.notes] == [("study_type", NO_STUDY_TYPE)]
            assert parsed.record.study_type == "other_interventional"
        else:
            assert parsed.notes == [], path.name


def test_v2_mapping_keeps_titles_phase_dates_eligibility_and_sites() -> None:
    (parsed,) = list(ctgov.read(V2 / "NCT02278341.json"))
    record = parsed.record
    assert record is not None
    assert [(i.scheme, i.value) for i in record.identifiers] == [
        ("nct", "NCT02552212"),
        ("other", "AS0006"),
        ("eudract", "2015-001894-41"),
    ]
    assert record.acronym == "C-AXSPAND"
    assert record.public_title.startswith("Multicenter Study Evaluating Certolizumab")
    assert record.scientific_title.startswith("Phase 3, Multicenter")
    assert (record.phase, record.study_type, record.sponsor_type) == ("3", "drug", "industry")
    assert record.overall_status == "completed"
    assert str(record.actual_start_date) == "2015-09-01"
    assert str(record.actual_end_date) == "2020-05-01"
    assert record.actual_enrolment == 317
    assert record.min_age_years == 18
    assert record.inclusion_criteria.startswith("At least 18 years old at the start")
    assert record.exclusion_criteria and "Exclusion" not in record.exclusion_criteria[:30]
    assert len(record.sites) == 105
    assert record.sites[0].organisation == "As0006 125"
    assert (record.sites[0].country, record.sites[0].latitude) == ("US", 33.52066)
    assert record.sites[0].recruitment_status == "closed"
    assert "RU" in record.countries


def test_classic_and_xml_files_map_to_records() -> None:
    for path in sorted((DATA / "ctgov-classic").iterdir()):
        (parsed,) = list(ctgov_classic.read(path))
        assert parsed.errors == [], path.name
    for path in sorted((DATA / "ctgov-xml").iterdir()):
        (parsed,) = list(ctgov_xml.read(path))
        assert parsed.errors == [], path.name
    (classic,) = list(ctgov_classic.read(DATA / "ctgov-classic" / "NCT04780763.json"))
    assert classic.record is not None
    assert classic.record.overall_status == "not_yet_recruiting"
    assert classic.record.sex == "female" and classic.record.healthy_volunteers is True
    assert str(classic.record.planned_start_date) == "2021-03-04"
    assert classic.record.sites[0].country == "BE"
    assert classic.record.public_contact_email == "silvia.miret-catalan@danone.com"
    (xml,) = list(ctgov_xml.read(DATA / "ctgov-xml" / "NCT01029262.xml"))
    assert xml.record is not None and xml.record.study_type == "drug"
    assert xml.record.sponsor_type == "industry"


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        (["PHASE1", "PHASE2"], "1_2"),
        (["PHASE2", "PHASE3"], "2_3"),
        (["EARLY_PHASE1"], "early_1"),
        (["NA"], "na"),
        ([], "na"),
        (["Phase 1", "Phase 2"], "1_2"),
        (["PHASE4"], "4"),
    ],
)
def test_phases_list_becomes_one_phase(phases: list[str], expected: str) -> None:
    assert ctgov.phase(phases) == expected


def test_expanded_access_and_withheld_statuses_are_unknown() -> None:
    for status in ("AVAILABLE", "NO_LONGER_AVAILABLE", "APPROVED_FOR_MARKETING", "WITHHELD"):
        study = v2_study("NCT09000001")
        study["protocolSection"]["statusModule"]["overallStatus"] = status
        assert ctgov.study_data(study)["overall_status"] == "unknown"


def test_ages_and_criteria_headings() -> None:
    assert parse_age("18 Years") == 18
    assert parse_age("6 Months") == 0
    assert parse_age("N/A") is None
    inclusion, exclusion = split_criteria(
        "Inclusion Criteria:\n\n* a\n\nExclusion Criteria:\n\n* b"
    )
    assert (inclusion, exclusion) == ("a", "b")
    assert split_criteria("just text") == ("just text", "")


def test_detect_format_by_extension_and_content(tmp_path: Path) -> None:
    assert detect_format(V2 / "NCT02552212.json") == "ctgov"
    assert detect_format(DATA / "ctgov-classic" / "NCT04780763.json") == "ctgov-classic"
    assert detect_format(DATA / "ctgov-xml" / "NCT00001177.xml") == "ctgov-xml"
    (tmp_path / "t.csv").write_text("Titel\n", encoding="utf-8")
    assert detect_format(tmp_path / "t.csv") == "spreadsheet"
    (tmp_path / "e").write_text('{"format": "studienav.study/1"}\n', encoding="utf-8")
    assert detect_format(tmp_path / "e") == "jsonl"
    (tmp_path / "c.json").write_text('{"data": [{"ctNumber": "x"}]}', encoding="utf-8")
    assert detect_format(tmp_path / "c.json") == "ctis"
    (tmp_path / "x.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(ImportFileError):
        detect_format(tmp_path / "x.txt")


# --- applying to the registry -------------------------------------------------------------


@pytest.mark.django_db
def test_every_shared_file_imports_and_the_partial_ones_are_flagged_clearly() -> None:
    matcher = OrganisationMatcher()
    lines: list[str] = []
    created = flagged = 0
    for path in _all_files():
        report = import_file(path=path, matcher=matcher)
        lines.extend(report.lines)
        created += report.created
        flagged += report.flagged
        assert report.rejected == 0, path.name
    assert lines == [
        f"{V2 / name}#1: study_type: {NO_STUDY_TYPE} (kept for review)" for name in sorted(PARTIAL)
    ]
    assert flagged == len(PARTIAL)
    # 13 + 3 + 10 files; the twin, NCT00023673 twice and NCT00081588 twice.
    assert created == Study.objects.count() == 23
    partial = Study.objects.get(identifiers__value=Path(sorted(PARTIAL)[0]).stem)
    assert [(n["field"], n["message"]) for n in partial.import_notes] == [
        ("study_type", NO_STUDY_TYPE)
    ]
    assert partial.import_notes_open == 1


@pytest.mark.django_db
def test_mislabelled_twin_becomes_one_study_with_105_sites() -> None:
    first = import_file(path=V2 / "NCT02552212.json", publish=True)
    twin = import_file(path=V2 / "NCT02278341.json", publish=True)
    assert (first.created, twin.created, twin.unchanged) == (1, 0, 1)
    study = Study.objects.get()
    assert study.identifiers.filter(value="NCT02552212").exists()
    assert study.sites.count() == 105
    assert study.state == StudyState.PUBLISHED


@pytest.mark.django_db
def test_second_import_reports_everything_unchanged() -> None:
    for folder in ("ctgov-v2", "ctgov-classic", "ctgov-xml"):
        paths = sorted((DATA / folder).iterdir())
        matcher = OrganisationMatcher()
        for path in paths:
            import_file(path=path, matcher=matcher)
        events = AuditEvent.objects.count()
        for path in paths:
            again = import_file(path=path, matcher=matcher)
            assert (again.created, again.updated) == (0, 0), path.name
        assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_all_formats_in_one_run_then_again_report_everything_unchanged() -> None:
    # NCT00023673 is both in the classic JSON and in the hard-wrapped legacy XML: both must
    # give the same record, or each would overwrite the other on every run.
    matcher = OrganisationMatcher()
    first = [import_file(path=path, matcher=matcher) for path in _all_files()]
    assert sum(r.rejected for r in first) == 0
    events = AuditEvent.objects.count()
    again = [import_file(path=path, matcher=matcher) for path in _all_files()]
    assert [(p.name, r.created, r.updated) for p, r in zip(_all_files(), again, strict=True)] == [
        (p.name, 0, 0) for p in _all_files()
    ]
    assert sum(r.unchanged for r in again) == len(_all_files())
    assert AuditEvent.objects.count() == events
    twin = Study.objects.get(identifiers__value="NCT02552212")
    assert twin.sites.count() == 105
    assert Study.objects.filter(identifiers__value="NCT00023673").count() == 1


def test_classic_json_and_legacy_xml_of_one_study_give_the_same_record() -> None:
    (classic,) = list(ctgov_classic.read(DATA / "ctgov-classic" / "NCT00023673.json"))
    (xml,) = list(ctgov_xml.read(DATA / "ctgov-xml" / "NCT00023673.xml"))
    assert classic.record is not None and xml.record is not None
    # The XML has no domain for secondary identifiers: the only real difference.
    skip = {"identifiers"}
    assert classic.record.model_dump(exclude=skip) == xml.record.model_dump(exclude=skip)
    assert [i.value for i in classic.record.identifiers] == [
        i.value for i in xml.record.identifiers
    ]
    assert xml.record.summary_en.startswith(
        "RATIONALE: Radiation therapy uses high-energy x-rays to damage tumor cells. Drugs used "
        "in chemotherapy,"
    )
    assert xml.record.description.startswith(
        "OBJECTIVES:\n\nDetermine the maximum tolerated dose of 3-dimensional conformal "
        "radiotherapy when administered concurrently"
    )


def test_long_text_is_normalised_the_same_way_in_every_format() -> None:
    wrapped = unwrap(
        "\n      Inclusion Criteria:\n\n        -  Adults with\n           asthma   \n"
        "        -  Able to\n           consent\n\n      Free text that was\n      wrapped.\n"
    )
    expected = (
        "Inclusion Criteria:\n\nAdults with asthma\n\nAble to consent\n\n"
        "Free text that was wrapped."
    )
    assert text(wrapped) == expected
    assert (
        text(
            "Inclusion Criteria:\n\n* Adults with asthma  \n* Able to consent\r\n\n\n"
            "Free text that was wrapped."
        )
        == expected
    )
    assert (
        text(
            "Inclusion Criteria:\nAdults with asthma\n\u2022 Able to consent\n"
            "Free text that was wrapped."
        )
        == expected
    )
    assert text("1. First\n2. Second") == "1. First\n\n2. Second"
    assert text("  one   line  ") == "one line"


@pytest.mark.django_db
def test_every_change_is_audited_with_the_file_name() -> None:
    import_file(path=V2 / "NCT03418623.json")
    assert (
        AuditEvent.objects.filter(action="study.import_create", reason="NCT03418623.json").count()
        == 1
    )


@pytest.mark.django_db
def test_uppsala_university_hospital_is_akademiska_sjukhuset(tmp_path: Path) -> None:
    organisations_load()
    known = Organisation.objects.count()
    path = write_page(
        tmp_path / "page.json",
        v2_study(
            "NCT09000002",
            {"facility": "Uppsala University Hospital", "city": "Uppsala", "country": "Sweden"},
            {
                "facility": "Örebro University Hospital",
                "city": "Örebro",
                "country": "Sweden",
                "status": "RECRUITING",
            },
        ),
    )
    report = import_file(path=path)
    assert report.created == 1, report.lines
    sites = Site.objects.select_related("organisation", "region").order_by("id")
    assert [s.organisation.name for s in sites] == [
        "Akademiska sjukhuset",
        "Universitetssjukhuset Örebro",
    ]
    assert [s.region.code for s in sites if s.region] == ["03", "18"]
    assert sites[1].recruitment_status == "recruiting"
    assert Organisation.objects.count() == known


@pytest.mark.django_db
def test_research_site_in_two_swedish_cities_gives_two_sites(tmp_path: Path) -> None:
    path = write_page(
        tmp_path / "page.json",
        v2_study(
            "NCT09000003",
            {"facility": "Research Site", "city": "Gävle", "country": "Sweden"},
            {"facility": "Research Site", "city": "Falun", "country": "Sweden"},
        ),
    )
    assert import_file(path=path).created == 1
    study = Study.objects.get()
    assert sorted(s.organisation.city for s in study.sites.all()) == ["Falun", "Gävle"]
    assert all(s.organisation.needs_review for s in study.sites.all())


def _broken_page(tmp_path: Path) -> Path:
    broken = v2_study(
        "NCT123",
        {"facility": "Research Site", "city": "Nowhere-by-the-sea", "country": "Sweden"},
        briefTitle="",
        officialTitle="",
    )
    broken["protocolSection"]["eligibilityModule"].update(
        minimumAge="80 Years", maximumAge="18 Years"
    )
    no_design = v2_study("NCT09000005")
    del no_design["protocolSection"]["designModule"]
    bad_age = v2_study("NCT09000006")
    bad_age["protocolSection"]["eligibilityModule"]["minimumAge"] = "old enough"
    bad_site = v2_study(
        "NCT09000007",
        {"facility": "Research Site", "city": "Nowhere-by-the-sea", "country": "Sweden"},
    )
    return write_page(
        tmp_path / "broken.json",
        v2_study("NCT09000004"),
        broken,
        no_design,
        bad_age,
        bad_site,
        "not a study",
    )


@pytest.mark.django_db
def test_records_that_break_every_rule_are_kept_with_exact_notes(tmp_path: Path) -> None:
    path = _broken_page(tmp_path)
    with translation.override("en"):
        report = import_file(path=path)
    assert report.lines == [
        f"{path}#2: public_title: the record has no title; its identifier GET73 ¹H-MRS stands in"
        " (kept for review)",
        f"{path}#2: identifiers.0: ClinicalTrials.gov (NCT) must look like NCT01234567, got "
        "NCT123 (kept for review)",
        f"{path}#2: min_age_years: min_age_years is greater than max_age_years (kept for review)",
        f"{path}#3: study_type: the record has no study type (designModule.studyType); kept as "
        "drug trial, as its interventions say, until checked (kept for review)",
        f"{path}#4: min_age_years: 'old enough' is not an age (for example 18 Years) "
        "(kept for review)",
        f"{path}#6: record: the record has neither a usable identifier nor a title, so it "
        "cannot be told apart from others",
    ]
    assert (report.created, report.rejected, report.flagged) == (5, 1, 3)
    assert Study.objects.count() == 5
    # The town it could not place is kept as given, for a coordinator.
    assert Organisation.objects.get(city="Nowhere-by-the-sea").needs_review
    odd = Study.objects.get(identifiers__value="NCT123")
    assert odd.identifiers.get(value="NCT123").scheme == "other"
    assert (odd.min_age_years, odd.max_age_years) == (None, None)
    assert [(n["field"], n["value"]) for n in odd.import_notes] == [
        ("public_title", ""),
        ("identifiers.0", "NCT123"),
        ("min_age_years", "80 > 18"),
    ]


@pytest.mark.django_db
def test_the_record_without_identity_is_the_only_one_that_writes_nothing(
    tmp_path: Path,
) -> None:
    path = write_page(tmp_path / "one.json", "not a study")
    report = import_file(path=path)
    assert (report.created, report.rejected) == (0, 1)
    assert not Study.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="study.").exists()


@pytest.mark.django_db
def test_dry_run_writes_nothing_and_reports_the_same(tmp_path: Path) -> None:
    path = _broken_page(tmp_path)
    twin = V2 / "NCT02278341.json"
    dry = [import_file(path=p, dry_run=True) for p in (path, V2 / "NCT02552212.json", twin)]
    assert Study.objects.count() == 0
    assert Organisation.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="study.").count() == 0
    real = [import_file(path=p) for p in (path, V2 / "NCT02552212.json")]
    assert [(r.summary, r.lines) for r in dry[:2]] == [(r.summary, r.lines) for r in real]


@pytest.mark.django_db
def test_dry_run_of_one_file_sees_its_own_earlier_records(tmp_path: Path) -> None:
    study = json.loads((V2 / "NCT02552212.json").read_text(encoding="utf-8"))
    path = write_page(tmp_path / "twice.json", study, study)
    dry = import_file(path=path, dry_run=True)
    assert dry.summary == "created 1, updated 0, unchanged 1, rejected 0, flagged 0"
    assert Study.objects.count() == 0


@pytest.mark.django_db
def test_unreadable_files_give_one_clear_line(tmp_path: Path) -> None:
    missing = import_file(path=tmp_path / "missing.json")
    assert missing.lines == [f"{tmp_path / 'missing.json'}: no such file"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"studies": [{"protocolSection": ', encoding="utf-8")
    report = import_file(path=bad)
    assert report.rejected == 1 and report.lines[0].startswith(f"{bad}: not valid JSON")


@pytest.mark.django_db
def test_ctis_export_becomes_drug_trials_with_eu_ct_numbers(tmp_path: Path) -> None:
    export = {
        "pagination": {"page": 1, "size": 2, "totalPages": 1},
        "data": [
            {
                "ctNumber": "2023-501234-12-00",
                "ctTitle": "A phase III trial of drug X versus placebo in adults with asthma",
                "shortTitle": "Drug X in asthma",
                "sponsor": "Pharma AB",
                "sponsorType": "Commercial",
                "ctStatus": "Ongoing, recruiting",
                "trialCountries": ["Sweden:3", "Denmark:2"],
                "conditions": "Asthma; Chronic obstructive pulmonary disease",
                "trialPhase": "Therapeutic confirmatory (Phase III)",
                "gender": "Female, Male",
                "startDateEU": "2024-01-15",
                "decisionDate": "15/11/2023",
                "totalNumberEnrolled": 300,
                "primaryEndPoint": "Change in FEV1 at week 12",
                "trialSites": [
                    {
                        "organisationName": "Akademiska sjukhuset",
                        "city": "Uppsala",
                        "country": "Sweden",
                    }
                ],
            },
            {
                "ctNumber": "2023-601234-12-00",
                "ctTitle": "Trial with a wrong number",
                "trialPhase": "Phase I and Phase II (Integrated)",
            },
        ],
    }
    path = tmp_path / "ctis.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    with translation.override("en"):
        parsed = list(ctis.read(path))
    # The wrong number is kept as another registry's, with a note, and the trial with it.
    assert parsed[1].errors == []
    assert [(n.field, n.value, n.message) for n in parsed[1].notes] == [
        (
            "identifiers.0",
            "2023-601234-12-00",
            "EU CT number (CTIS) must look like 2023-501234-12-00, got 2023-601234-12-00",
        )
    ]
    assert parsed[1].record is not None
    assert [(i.scheme, i.issuer) for i in parsed[1].record.identifiers] == [("other", "CTIS")]
    record = parsed[0].record
    assert record is not None
    assert (record.study_type, record.phase, record.sponsor_type) == ("drug", "3", "industry")
    assert record.countries == ["SE", "DK"]
    assert [c.name for c in record.conditions] == [
        "Asthma",
        "Chronic obstructive pulmonary disease",
    ]
    assert (
        str(record.actual_start_date) == "2024-01-15" and str(record.registered_on) == "2023-11-15"
    )
    report = import_file(path=path)
    assert (report.created, report.rejected, report.flagged) == (2, 0, 1)
    study = Study.objects.get(identifiers__scheme="eu_ct")
    assert study.identifiers.get().value == "2023-501234-12-00"
    assert study.sites.get().region is not None


SPREADSHEET_ROWS = [
    list(spreadsheet.COLUMNS),
    [
        "Läkemedel X vid astma",
        "Drug X in asthma",
        "Kort",
        "Läkemedelsprövning",
        "Fas 3",
        "Industri",
        "Pharma AB",
        "Rekryterar",
        "2023-01234-01",
        "NCT09000010",
        "",
        "",
        "03",
        "Akademiska sjukhuset",
        "Uppsala",
        "Anna Berg",
        "anna@example.se",
        "2024-01-01",
        "",
        "40",
        "12",
        "Astma",
        "J45",
        "18",
        "75",
        "Alla",
        "Nej",
        "Sjukhusvård",
    ],
    [
        "Läkemedel X vid astma",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "NCT09000010",
        "",
        "",
        "18",
        "Universitetssjukhuset Örebro",
        "Örebro",
        "Bertil Ek",
        "",
        "",
        "",
        "20",
        "3",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "Tidig mobilisering",
        "",
        "",
        "Annan interventionsstudie",
        "Ej tillämpligt",
        "Akademisk",
        "Region Uppsala",
        "Ej startad",
        "",
        "",
        "",
        "UU-17",
        "Region Uppsala",
        "Vårdcentralen Gränby",
        "Uppsala",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "Kvinnor",
        "Ja",
        "Primärvård",
    ],
    [
        "Trasig",
        "",
        "",
        "Kirurgi",
        "Fas 9",
        "Akademisk",
        "",
        "Okänd",
        "",
        "NCT09000011",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
]


@pytest.mark.django_db
def test_spreadsheet_rows_sharing_an_identifier_form_one_study(tmp_path: Path) -> None:
    path = tmp_path / "studier.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, delimiter=";").writerows(SPREADSHEET_ROWS)
    report = import_file(path=path)
    assert report.lines == [
        f"{path}#5: Studietyp: 'Kirurgi' is not one of: annan_interventionsstudie, device, drug, "
        "interventionsstudie, klinisk_lakemedelsprovning, klinisk_provning_av_medicinteknik, "
        "lakemedelsprovning, medicinteknisk_provning; kept as other_interventional until checked"
        " (kept for review)",
        f"{path}#5: Fas: 'Fas 9' is not one of: 1, 1_2, 2, 2_3, 3, 4, ej_tillampligt, i; kept as "
        "na until checked (kept for review)",
    ]
    assert (report.created, report.rejected, report.flagged) == (3, 0, 1)
    odd = Study.objects.get(identifiers__value="NCT09000011")
    assert (odd.study_type, odd.phase, odd.overall_status) == (
        "other_interventional",
        "na",
        "unknown",
    )
    drug = Study.objects.get(identifiers__value="NCT09000010")
    assert (drug.study_type, drug.phase, drug.overall_status) == ("drug", "3", "recruiting")
    assert (drug.target_enrolment, drug.actual_enrolment) == (60, 15)
    assert sorted(s.region.code for s in drug.sites.all() if s.region) == ["03", "18"]
    assert set(drug.identifiers.values_list("scheme", flat=True)) == {"nct", "ethics"}
    local = Study.objects.get(identifiers__value="UU-17")
    assert (local.sex, local.healthy_volunteers, local.in_primary_care) == ("female", True, True)
    region = local.identifiers.get().region
    assert region is not None and region.code == "03"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_spreadsheet_template_imports_as_its_example_study(tmp_path: Path, kind: str) -> None:
    organisations_load()
    path = tmp_path / f"mall.{kind}"
    path.write_bytes(spreadsheet_template(kind))
    report = import_file(path=path)
    assert report.summary == "created 1, updated 0, unchanged 0, rejected 0, flagged 0", (
        report.lines
    )
    study = Study.objects.get()
    assert study.public_title == "Tidig mobilisering efter höftfraktur"
    assert study.sites.get().organisation.name == "Akademiska sjukhuset"
    assert study.conditions.get().icd10 == "S72.0"


@pytest.mark.django_db
def test_jsonl_lines_that_are_not_records_are_rejected_on_their_own(tmp_path: Path) -> None:
    good = {
        "format": "studienav.study/1",
        "public_title": "T",
        "study_type": "drug",
        "sponsor_type": "academic",
    }
    path = tmp_path / "export.jsonl"
    path.write_text(
        "\n".join([json.dumps(good), "{not json", json.dumps({**good, "format": "other/2"}), ""]),
        encoding="utf-8",
    )
    report = import_file(path=path)
    assert report.created == 1
    assert [line.split(": ")[1] for line in report.lines] == ["record", "format"]
    assert report.lines[0].startswith(f"{path}#2: record: not valid JSON")
    assert list(jsonl.read(path))[2].number == 3


# --- mangled input never raises ----------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_BASE = v2_study("NCT09000020", {"facility": "Site", "city": "Berlin", "country": "Germany"})
_PATHS = [
    ("identificationModule", "nctId"),
    ("identificationModule", "briefTitle"),
    ("identificationModule", "secondaryIdInfos"),
    ("statusModule", "overallStatus"),
    ("statusModule", "startDateStruct"),
    ("designModule", "phases"),
    ("designModule", "enrollmentInfo"),
    ("designModule", "studyType"),
    ("armsInterventionsModule", "interventions"),
    ("eligibilityModule", "minimumAge"),
    ("eligibilityModule", "sex"),
    ("contactsLocationsModule", "locations"),
    ("conditionsModule", "conditions"),
    ("sponsorCollaboratorsModule", "leadSponsor"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.sampled_from(_PATHS), _JSON), min_size=1, max_size=5))
def test_mangled_v2_studies_never_raise_only_reject(
    changes: list[tuple[tuple[str, str], Any]],
) -> None:
    study = copy.deepcopy(_BASE)
    for (module, key), value in changes:
        study["protocolSection"].setdefault(module, {})[key] = value
    parsed = ctgov.parse_study(1, study)
    assert (parsed.record is None) == bool(parsed.errors)
    assert all(isinstance(f, str) and isinstance(m, str) for f, m in parsed.errors)


@settings(max_examples=100, deadline=None)
@given(value=_JSON)
def test_any_json_value_as_a_study_is_only_a_rejection(value: Any) -> None:
    for parse in (
        ctgov.parse_study,
        lambda n, v: build(n, lambda notes: ctis.trial_data(v, notes)),
    ):
        parsed = parse(1, value)
        assert (parsed.record is None) == bool(parsed.errors)


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(st.lists(st.text(max_size=15), min_size=28, max_size=28), min_size=1, max_size=3)
)
def test_mangled_spreadsheet_rows_never_raise(cells: list[list[str]]) -> None:
    regions = {"03": "03"}
    rows = [dict(zip(spreadsheet.COLUMNS.values(), row, strict=True)) for row in cells]
    parsed = build(2, lambda notes: spreadsheet.study_data(rows, regions, notes))
    assert (parsed.record is None) == bool(parsed.errors)
    if line(rows[0]["title"]):  # a row with a title is kept, whatever its other cells hold
        assert parsed.errors == [], parsed.errors


def test_template_csv_has_every_header_and_an_example_row() -> None:
    rows = list(
        csv.reader(io.StringIO(spreadsheet_template("csv").decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0] == list(spreadsheet.COLUMNS)
    assert len(rows) == 2 and rows[1][0]


@pytest.mark.django_db
def test_an_import_leaves_the_planner_fresh_statistics_of_the_registry() -> None:
    # Without them PostgreSQL read a page of studies' conditions by scanning the whole table.
    from django.db import connection

    assert import_file(path=V2 / "NCT03418623.json", publish=True).created == 1
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        else:
            cursor.execute("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
        analysed = {row[0] for row in cursor.fetchall()}
    assert {"registry_study", "registry_site", "registry_studycondition"} <= analysed
