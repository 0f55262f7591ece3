"""The one write path for records: create, update, unchanged; in bulk and one by one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection

from studienav.core.demo import organisations_load
from studienav.core.errors import DomainError
from studienav.core.models import AuditEvent, Organisation
from studienav.registry.models import Site, Study, StudyState, StudyVersion
from studienav.registry.organisations import OrganisationMatcher
from studienav.registry.records import (
    ImportNote,
    Outcome,
    public_snapshot,
    record_apply,
    record_prepare,
    records_apply,
    study_to_record,
)
from studienav.registry.schema import StudyRecord

pytestmark = pytest.mark.django_db


def _record(nct: str = "NCT02552212", **extra: Any) -> StudyRecord:
    data: dict[str, Any] = {
        "public_title": "Läkemedel X vid bröstcancer",
        "study_type": "drug",
        "sponsor_type": "industry",
        "phase": "3",
        "identifiers": [{"scheme": "nct", "value": nct.lower()}],
        "conditions": [{"name": "Breast cancer", "icd10": "c509"}],
        "overall_status": "recruiting",
        "sites": [
            {"organisation": "Uppsala University Hospital", "city": "Uppsala"},
            {"organisation": "Research Site", "city": "Gavle"},
            {
                "organisation": "Research Site",
                "city": "Falun",
                "recruitment_status": "recruiting",
                "start_date": "2024-03-01",
                "target_enrolment": 12,
            },
            {"organisation": "Charité", "city": "Berlin", "country": "DE"},
        ],
    }
    data.update(extra)
    return StudyRecord(**data)


def test_new_record_creates_one_study_with_every_site() -> None:
    organisations_load()
    result = record_apply(record=_record(), by=None, reason="file.json", publish=True)
    study = result.study
    assert result.outcome == Outcome.CREATED
    assert study.state == StudyState.PUBLISHED
    assert study.identifiers.get().value == "NCT02552212"
    assert study.therapeutic_area == "II"
    names = sorted(s.organisation.name for s in study.sites.all())
    assert names == ["Akademiska sjukhuset", "Charité", "Research Site", "Research Site"]
    assert {s.region.code for s in study.sites.all() if s.region} == {"03", "20", "21"}
    assert study.lead_region is not None and study.lead_region.code == "03"
    assert study.versions.count() == 1
    assert AuditEvent.objects.filter(action="study.import_create", reason="file.json").count() == 1


def test_same_record_again_changes_nothing() -> None:
    record_apply(record=_record(), by=None, reason="a", publish=True)
    events = AuditEvent.objects.count()
    again = record_apply(record=_record(), by=None, reason="a", publish=True)
    assert again.outcome == Outcome.UNCHANGED
    assert AuditEvent.objects.count() == events
    assert StudyVersion.objects.count() == 1


def test_other_name_of_the_same_hospital_updates_the_site_instead_of_adding_one() -> None:
    organisations_load()
    record_apply(record=_record(), by=None, reason="a")
    update = StudyRecord.model_validate(
        {
            "public_title": "Läkemedel X vid bröstcancer",
            "study_type": "drug",
            "sponsor_type": "industry",
            "identifiers": [{"scheme": "nct", "value": "NCT02552212"}],
            "sites": [
                {
                    "organisation": "Akademiska sjukhuset",
                    "city": "Uppsala",
                    "recruitment_status": "recruiting",
                }
            ],
        }
    )
    result = record_apply(record=update, by=None, reason="b")
    assert result.outcome == Outcome.UPDATED
    assert result.study.sites.count() == 4
    akademiska = result.study.sites.get(organisation__name="Akademiska sjukhuset")
    assert akademiska.recruitment_status == "recruiting"
    assert result.study.phase == "3"  # a field the update did not carry stays


def test_identifiers_of_two_studies_in_one_record_are_refused_naming_both() -> None:
    first = record_apply(record=_record("NCT00000001"), by=None, reason="a").study
    second = record_apply(record=_record("NCT00000002"), by=None, reason="a").study
    both = _record(
        "NCT00000001",
        identifiers=[
            {"scheme": "nct", "value": "NCT00000001"},
            {"scheme": "eudract", "value": "2010-012345-12"},
        ],
    )
    record_apply(record=both, by=None, reason="a")
    clash = _record(
        "NCT00000002",
        identifiers=[
            {"scheme": "nct", "value": "NCT00000002"},
            {"scheme": "eudract", "value": "2010-012345-12"},
        ],
    )
    with pytest.raises(DomainError) as error:
        record_apply(record=clash, by=None, reason="a")
    assert f"#{first.pk}" in error.value.message and f"#{second.pk}" in error.value.message


def test_swedish_site_in_an_unknown_place_is_kept_and_flagged_for_a_coordinator() -> None:
    odd = _record(sites=[{"organisation": "Kliniken", "city": "Atlantis"}])
    record_apply(record=odd, by=None, reason="a")
    site = Site.objects.get(study=Study.objects.get())
    assert (site.country, site.region) == ("SE", None)
    assert site.organisation.needs_review
    assert "Atlantis" in site.organisation.review_note


def test_bulk_apply_falls_back_one_by_one_and_forgets_rolled_back_organisations() -> None:
    def local(nct: str) -> list[dict[str, Any]]:
        return [
            {"scheme": "nct", "value": nct.lower()},
            {"scheme": "local", "value": "UPP-2024-1", "region": "03"},
        ]

    record_apply(
        record=_record("NCT20000000", identifiers=local("NCT20000000")), by=None, reason="a"
    )
    matcher = OrganisationMatcher()
    good = [_record(f"NCT1000000{i}") for i in range(5)]
    # Its local number is another study's: the batch's insert fails and each goes on its own.
    twin = _record(
        "NCT20000001",
        identifiers=local("NCT20000001"),
        sites=[{"organisation": "Ny klinik", "city": "Gävle"}],
    )
    results = records_apply(
        records=[*good[:2], twin, *good[2:]], by=None, reason="bulk", publish=True, matcher=matcher
    )
    assert [getattr(r, "outcome", "error") for r in results] == ["created"] * 2 + ["updated"] + [
        "created"
    ] * 3
    assert Study.objects.count() == 6
    assert Organisation.objects.filter(name="Ny klinik").count() == 1
    # organisations created in the rolled-back attempt are forgotten, not reused
    again = records_apply(records=good, by=None, reason="bulk", publish=True, matcher=matcher)
    assert {r.outcome for r in again if not isinstance(r, DomainError)} == {Outcome.UNCHANGED}


def test_bulk_and_one_by_one_give_the_same_record() -> None:
    bulk = records_apply(records=[_record("NCT30000001")], by=None, reason="x", publish=True)[0]
    single = record_apply(record=_record("NCT30000002"), by=None, reason="x", publish=True)
    assert not isinstance(bulk, DomainError)
    one, two = public_snapshot(bulk.study), public_snapshot(single.study)
    one.pop("identifiers"), two.pop("identifiers")
    assert one == two
    assert bulk.study.versions.get().data == public_snapshot(bulk.study)
    # The same JSON text, key for key, as one-by-one writes it.
    assert json.dumps(bulk.study.versions.get().data["sites"]) == json.dumps(
        single.study.versions.get().data["sites"]
    )


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL keeps no NUL in text: it refuses the record"
)
def test_a_record_whose_text_looks_like_the_sites_placeholder_is_saved_one_by_one() -> None:
    odd = _record("NCT30000003", design="\x00sites\x00")
    with pytest.raises(DomainError):
        record_prepare(odd, frozenset())
    result = records_apply(records=[odd], by=None, reason="x", publish=True)[0]
    assert not isinstance(result, DomainError)
    assert result.study.design == "\x00sites\x00"
    assert result.study.versions.get().data == public_snapshot(result.study)


def test_record_round_trips_through_its_json() -> None:
    study = record_apply(record=_record(), by=None, reason="x", publish=True).study
    exported = study_to_record(study).model_dump(mode="json")
    reread = StudyRecord.model_validate(exported)
    assert reread.model_dump(mode="json") == exported


# --- what an import could not understand travels beside the record as notes ------------------

AGE_NOTE = ImportNote(
    field="min_age_years",
    value="old enough",
    message="'old enough' is not an age (for example 18 Years)",
)


def test_bulk_and_one_by_one_keep_the_same_notes() -> None:
    bulk = records_apply(records=[_record("NCT30000011")], by=None, reason="x", notes=[[AGE_NOTE]])[
        0
    ]
    one = record_apply(record=_record("NCT30000012"), by=None, reason="x", notes=[AGE_NOTE])
    assert not isinstance(bulk, DomainError)
    for study in (bulk.study, one.study):
        study.refresh_from_db()
        assert [(n["field"], n["value"]) for n in study.import_notes] == [
            ("min_age_years", "old enough")
        ]
        assert study.import_notes_open == 1
    events = AuditEvent.objects.filter(action="study.import_create").order_by("id")
    assert [e.changes["import_notes"] for e in events] == [[0, 1], [0, 1]]


def test_the_same_notes_again_change_nothing_and_none_given_leaves_them() -> None:
    record_apply(record=_record(), by=None, reason="a", notes=[AGE_NOTE])
    events = AuditEvent.objects.count()
    again = record_apply(record=_record(), by=None, reason="a", notes=[AGE_NOTE])
    untouched = record_apply(record=_record(), by=None, reason="a")
    assert (again.outcome, untouched.outcome) == (Outcome.UNCHANGED, Outcome.UNCHANGED)
    assert AuditEvent.objects.count() == events
    assert Study.objects.get().import_notes_open == 1


def test_notes_that_go_away_are_an_update_of_the_notes_alone() -> None:
    record_apply(record=_record(), by=None, reason="a", publish=True, notes=[AGE_NOTE])
    result = record_apply(record=_record(), by=None, reason="b", notes=[])
    assert result.outcome == Outcome.UPDATED
    assert result.changes == {"import_notes": (1, 0)}
    study = Study.objects.get()
    assert (study.import_notes, study.import_notes_open) == ([], 0)
    assert StudyVersion.objects.count() == 1  # nothing public changed
    event = AuditEvent.objects.filter(action="study.import_update").get()
    assert event.changes == {"import_notes": [1, 0]}


def test_an_update_says_which_fields_change() -> None:
    record_apply(record=_record(), by=None, reason="a")
    result = record_apply(record=_record(phase="2"), by=None, reason="b")
    assert result.outcome == Outcome.UPDATED
    assert result.changes["phase"] == ("3", "2")


def test_a_record_with_only_other_numbers_finds_the_study_holding_them_all() -> None:
    def other(*values: str) -> list[dict[str, Any]]:
        return [{"scheme": "other", "value": v, "issuer": "Sponsor AB"} for v in values]

    first = record_apply(record=_record(identifiers=other("P-1", "SHARED")), by=None, reason="a")
    second = record_apply(record=_record(identifiers=other("P-2", "SHARED")), by=None, reason="a")
    assert first.study.pk != second.study.pk  # sharing one number joins nothing
    again = record_apply(record=_record(identifiers=other("P-1", "SHARED")), by=None, reason="a")
    assert (again.outcome, again.study.pk) == (Outcome.UNCHANGED, first.study.pk)
