"""Real records name every country and misspell Swedish towns: each site is kept, flagged."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from studienav.core.countries import UNKNOWN, country_code, country_name
from studienav.core.models import AuditEvent, Organisation
from studienav.core.places import place_suggestions
from studienav.registry.importers import import_file
from studienav.registry.models import Site, Study
from tests.registry.test_importers import V2, v2_study, write_page

# Countries that real ClinicalTrials.gov records name, in the registry's own spellings.
REGISTRY_COUNTRIES = {
    "Haiti": "HT",
    "Gambia": "GM",
    "Bangladesh": "BD",
    "San Marino": "SM",
    "Réunion": "RE",
    "Albania": "AL",
    "Panama": "PA",
    "Former Serbia and Montenegro": "CS",
    "Korea, Republic of": "KR",
    "Iran, Islamic Republic of": "IR",
    "Congo, The Democratic Republic of the": "CD",
    "Macedonia, The Former Yugoslav Republic of": "MK",
    "Former Yugoslavia": "YU",
    "Netherlands Antilles": "AN",
    "Russian Federation": "RU",
    "Lao People's Democratic Republic": "LA",
    "Côte D'Ivoire": "CI",
    "Moldova, Republic of": "MD",
    "Taiwan": "TW",
    "Turkey": "TR",
    "Czechia": "CZ",
    "United States": "US",
    "Sverige": "SE",
    "Sydkorea": "KR",
    "Tyskland": "DE",
    "se": "SE",
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.mark.parametrize(("name", "code"), sorted(REGISTRY_COUNTRIES.items()))
def test_registry_country_names_have_their_codes(name: str, code: str) -> None:
    assert country_code(name) == code


@pytest.mark.parametrize("name", ["", "   ", "Atlantis", "XX", "Europe"])
def test_blank_and_unknown_countries_have_no_code(name: str) -> None:
    assert country_code(name) is None


def test_country_names_in_both_languages() -> None:
    assert (country_name("KR", "sv"), country_name("KR", "en")) == ("Sydkorea", "South Korea")
    assert country_name("CS", "sv") == "Serbien och Montenegro"
    assert country_name(UNKNOWN, "sv") == "okänt land"


@pytest.mark.django_db
def test_a_misspelt_swedish_town_is_suggested_one_or_two_letters_away() -> None:
    assert place_suggestions("Angeholm") == ["Ängelholm"]
    assert "Uppsala" in place_suggestions("Upsala")
    assert place_suggestions("Qwxzvbnm") == []


def _locations() -> list[dict[str, Any]]:
    foreign = [
        {"facility": f"Site {index}", "city": f"City {index}", "country": name}
        for index, name in enumerate(REGISTRY_COUNTRIES)
        if REGISTRY_COUNTRIES[name] != "SE"
    ]
    return [
        *foreign,
        {"facility": "Research Site", "city": "Angeholm", "country": "Sweden"},
        {"facility": "Clinique du Lac", "city": "Atlantis City", "country": "Atlantis"},
        {"facility": "Nowhere Clinic", "city": "Springfield", "country": ""},
        {"facility": "Uppsala University Hospital", "city": "Uppsala", "country": "Sweden"},
    ]


@pytest.mark.django_db
def test_a_study_with_odd_countries_and_an_unplaceable_town_imports_whole(tmp_path: Path) -> None:
    path = write_page(tmp_path / "page.json", v2_study("NCT09100001", *_locations()))
    report = import_file(path=path)
    assert (report.created, report.rejected) == (1, 0), report.lines
    study = Study.objects.get()
    assert study.sites.count() == len(_locations())
    angeholm = Site.objects.get(study=study, organisation__city="Angeholm")
    assert (angeholm.country, angeholm.region) == ("SE", None)
    assert angeholm.organisation.needs_review
    assert "Ängelholm" in angeholm.organisation.review_note


@pytest.mark.django_db
def test_a_location_without_a_country_is_not_swedish(tmp_path: Path) -> None:
    path = write_page(tmp_path / "page.json", v2_study("NCT09100002", *_locations()))
    import_file(path=path)
    blank = Organisation.objects.get(city="Springfield")
    assert (blank.country, blank.region) == (UNKNOWN, None)
    assert blank.needs_review and blank.review_note == "The source gave no country."
    unknown = Organisation.objects.get(city="Atlantis City")
    assert unknown.country == UNKNOWN
    assert "'Atlantis'" in unknown.review_note


@pytest.mark.django_db
def test_reimporting_odd_places_changes_nothing(tmp_path: Path) -> None:
    path = write_page(tmp_path / "page.json", v2_study("NCT09100003", *_locations()))
    import_file(path=path)
    organisations, events = Organisation.objects.count(), AuditEvent.objects.count()
    again = import_file(path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1), again.lines
    assert (Organisation.objects.count(), AuditEvent.objects.count()) == (organisations, events)


def _odd_copies() -> list[dict[str, Any]]:
    """Every shared v2 record with its sites' countries made odd: historic, blank, unknown."""
    odd = ["Former Serbia and Montenegro", "", "Netherlands Antilles", "Atlantis", "Réunion"]
    studies = []
    for path in sorted(V2.glob("*.json")):
        study = json.loads(path.read_text(encoding="utf-8"))
        study = copy.deepcopy(study)
        locations = (
            study.get("protocolSection", {}).get("contactsLocationsModule", {}).get("locations")
        )
        for index, location in enumerate(locations or []):
            # By position only: NCT02278341.json holds NCT02552212 too, and must agree with it.
            location["country"] = odd[index % len(odd)]
            if index % 7 == 3:
                location["country"], location["city"] = "Sweden", "Angeholm"
        studies.append(study)
    return studies


@pytest.mark.django_db
def test_shared_records_with_odd_countries_import_and_reimport_unchanged(tmp_path: Path) -> None:
    path = write_page(tmp_path / "odd.json", *_odd_copies())
    first = import_file(path=path)
    # Every record is kept; the two partial ones (no study type) with a note.
    assert (first.rejected, first.flagged) == (0, 2), first.lines
    again = import_file(path=path)
    assert (again.created, again.updated, again.rejected) == (0, 0, 0), again.lines
