"""LIKE patterns as the regular expression PostgreSQL's trigram index answers in one scan."""

from __future__ import annotations

import re

import pytest

from studienav.search.services import SearchParams, _like_regex, _patterns_regex, study_search
from tests.search.conftest import StudyMaker


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("%strok%", "ischemic stroke", True),
        ("% strok%", " ischemic stroke ", True),
        ("% strok%", " ischemicstroke ", False),
        ("%diab_tes%", "typ 2 diabetes", True),
        ("%diab_tes%", "typ 2 diabtes", False),
        ("%a.b%", "axb", False),
        ("%a.b%", "a.b", True),
        ("astm%", "astma hos barn", True),
        ("astm%", "barn med astma", False),
        ("%astma", "barn med astma", True),
        ("%astma", "astma hos barn", False),
    ],
)
def test_like_pattern_and_its_regex_find_the_same_texts(
    pattern: str, text: str, found: bool
) -> None:
    assert bool(re.search(_like_regex(pattern), text)) is found


def test_patterns_become_one_alternation() -> None:
    regex = _patterns_regex(("%astm%", "%asthm%", "%astm%"))
    assert regex == "(?:astm|asthm)"
    assert re.search(regex, "bronchial asthma")


def test_a_pattern_that_finds_only_what_another_finds_is_left_out() -> None:
    from studienav.search.text import _needed, query_terms

    assert _needed(["%astm bronkial%", "%astm%", "%x_y%", "% kol %", "%kol%", "%astm%"]) == (
        "%astm%",
        "%x_y%",
        "%kol%",
    )
    (astma,) = query_terms("astma")
    assert "%astma%" in astma.exact
    assert not [pattern for pattern in astma.exact if "astma " in pattern]


# -- typo patterns: a near spelling, never another word ----------------------------------------


def test_a_typo_pattern_keeps_the_first_letter() -> None:
    from studienav.search.text import typo_patterns

    for word in ("angest", "smarta", "diabetis", "strokerehabilitring"):
        assert all(pattern.startswith(f"% {word[0]}") for pattern in typo_patterns(word))


def test_a_short_word_gets_one_letter_replaced_as_a_whole_word() -> None:
    from studienav.search.text import typo_patterns

    patterns = typo_patterns("angest")
    assert "% an_est %" in patterns
    assert all(len(pattern) == len("% angest %") for pattern in patterns)  # nothing removed
    assert not re.search(_patterns_regex(tuple(patterns)), " anesthesia ingestion angst ")


def test_a_longer_word_gets_a_letter_removed_or_added_too() -> None:
    from studienav.search.text import typo_patterns

    patterns = typo_patterns("diabetis")
    assert {"% diabet_s%", "% diabets%", "% diabe_tis%"} <= set(patterns)


@pytest.mark.django_db
def test_a_word_whose_condition_is_not_indexed_finds_nothing_spelt_alike(
    make_study: StudyMaker,
) -> None:
    """With no study of anxiety or pain, `ångest` and `smärta` fall back on their typo
    patterns; those must not find `ingestion`, `anesthesia` or `SMART`."""
    for title in (
        "Button Battery Ingestion in Children",
        "Depth of Anesthesia Monitoring",
        "The SMART Trial of Stent Materials",
    ):
        make_study(source="ctgov", public_title=title, public_title_en=title)
    assert study_search(SearchParams(q="ångest")).studies == []
    assert study_search(SearchParams(q="smärta")).studies == []


@pytest.mark.django_db
def test_a_misspelt_short_word_finds_the_word_not_one_that_starts_alike(
    make_study: StudyMaker,
) -> None:
    asthma = make_study(public_title="Astma hos barn")
    make_study(public_title="Hjärtsvikt i vardagen", primary_sponsor_name="AstraZeneca")
    assert [s.pk for s in study_search(SearchParams(q="astna")).studies] == [asthma.pk]
