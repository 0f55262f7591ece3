"""LIKE patterns as the regular expression PostgreSQL's trigram index answers in one scan."""

from __future__ import annotations

import re

import pytest

from studienav.search.services import _like_regex, _patterns_regex


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
    assert "%astm%" in astma.exact
    assert not [pattern for pattern in astma.exact if "astm " in pattern]
