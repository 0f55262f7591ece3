"""Matching on hand-made cases: synonyms across languages, age, sex, distance, regions."""

from __future__ import annotations

import pytest

from studienav.core.models import Region
from studienav.participation.matching import haversine_km, interest_match
from studienav.participation.models import ExpressionOfInterest
from studienav.search.conditions import condition_terms
from tests.participation.conftest import RegisterFn, StudyMaker

pytestmark = pytest.mark.django_db


def _titles(interest: ExpressionOfInterest) -> list[str]:
    return [m.study.public_title for m in interest_match(interest=interest)]


def test_swedish_words_find_a_study_described_in_english(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    make_study("Diabetes", conditions=[("Type 2 diabetes mellitus", "")], sites=["1880"])
    make_study("Astma", conditions=[("asthma", "J45")], sites=["1880"])
    interest = register(conditions=["typ 2-diabetes"])
    assert _titles(interest) == ["Diabetes"]


@pytest.mark.parametrize(
    ("words", "condition"),
    [
        ("sömnlöshet", "Sleep Initiation and Maintenance Disorders"),
        ("blodpropp", "Deep Vein Thrombosis"),
        ("ryggont", "Low Back Pain"),
        ("sockersjuka", "Diabetes Mellitus, Type 2"),
    ],
)
def test_everyday_swedish_words_find_a_study_of_the_condition_in_english(
    register: RegisterFn, make_study: StudyMaker, words: str, condition: str
) -> None:
    make_study("Engelsk", conditions=[(condition, "")], sites=["1880"])
    make_study("Annan", conditions=[("asthma", "J45")], sites=["1880"])
    assert _titles(register(conditions=[words])) == ["Engelsk"]


def test_english_synonym_finds_a_swedish_condition_through_the_icd_code(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    make_study("Högt blodtryck", conditions=[("högt blodtryck", "I10")], sites=["1880"])
    interest = register(conditions=["high blood pressure"])
    assert _titles(interest) == ["Högt blodtryck"]


def test_age_outside_the_range_excludes(register: RegisterFn, make_study: StudyMaker) -> None:
    make_study("Unga", conditions=[("asthma", "J45")], min_age=18, max_age=30, sites=["1880"])
    make_study("Alla", conditions=[("asthma", "J45")], sites=["1880"])
    interest = register(conditions=["astma"], year_of_birth=1950)
    assert _titles(interest) == ["Alla"]


def test_study_for_women_only_is_not_suggested_to_a_man(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    make_study("Kvinnor", conditions=[("asthma", "J45")], sex="female", sites=["1880"])
    man = register(conditions=["astma"], sex="male")
    unknown = register(conditions=["astma"], sex="", email="x@test.example")
    assert _titles(man) == []
    assert _titles(unknown) == ["Kvinnor"]


def test_nearer_site_ranks_higher_and_more_conditions_rank_highest(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    make_study("Långt bort", conditions=[("asthma", "J45")], sites=["2584"])  # Kiruna
    make_study("Nära", conditions=[("asthma", "J45")], sites=["1880"])  # Örebro
    make_study("Båda", conditions=[("asthma", "J45"), ("type 2 diabetes", "E11")], sites=["2584"])
    interest = register(conditions=["astma", "diabetes"])
    matches = interest_match(interest=interest)
    assert [m.study.public_title for m in matches] == ["Båda", "Nära", "Långt bort"]
    assert matches[1].distance_km is not None and matches[1].distance_km < 10
    assert matches[2].distance_km is not None and matches[2].distance_km > 900


def test_no_conditions_means_studies_for_healthy_volunteers(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    make_study("Friska", healthy=True, sites=["1880"])
    make_study("Sjuka", conditions=[("asthma", "J45")], sites=["1880"])
    assert _titles(register(conditions=[])) == ["Friska"]


def test_regions_of_interest_limit_the_sites(
    register: RegisterFn, make_study: StudyMaker, uppsala: Region
) -> None:
    make_study("Örebro", conditions=[("asthma", "J45")], sites=["1880"])
    make_study("Uppsala", conditions=[("asthma", "J45")], sites=["0380"])
    interest = register(conditions=["astma"])
    interest.regions_of_interest.set([uppsala])
    assert _titles(interest) == ["Uppsala"]


def test_unpublished_and_not_recruiting_studies_are_never_suggested(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    make_study("Utkast", conditions=[("asthma", "J45")], state="draft")
    closed = make_study("Stängd", conditions=[("asthma", "J45")])
    closed.overall_status = "completed"
    closed.save()
    assert _titles(register(conditions=["astma"])) == []


def test_short_words_match_only_exactly() -> None:
    terms, _codes = condition_terms("ms")
    assert "chromosome" not in terms


def test_haversine_uppsala_to_orebro_is_about_160_km() -> None:
    assert 150 < haversine_km(59.858, 17.639, 59.274, 15.213) < 170
