"""PostgreSQL's word index (`search.words`): kept in step with the registry, and answering the
same LIKE patterns as SQLite's text index, so the same searches find the same studies on both
databases (the searches below run on either; the index itself only on PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection

from studienav.core.models import Region
from studienav.registry.models import Study, StudyState
from studienav.registry.services import study_close
from studienav.search.index import search_index_study, search_words_fill
from studienav.search.models import SearchEntry, SearchText, SearchWord
from studienav.search.params import SearchParams
from studienav.search.services import at_word_start, study_search
from studienav.search.words import like_regex, tag_code, words_found, words_matching
from tests.search.conftest import GAVLE_SITE, UPPSALA_SITE, StudyMaker

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the word index is PostgreSQL's"
)


def found(**params: Any) -> list[int]:
    return sorted(s.pk for s in study_search(SearchParams(**params)).studies)


def _codes(study: Study) -> set[int]:
    return {int(code) for code in SearchEntry.objects.get(pk=study.pk).words.split()}


def _words(study: Study, kind: int) -> set[str]:
    """The words the entry's codes name, of its document (0) or its places (1)."""
    ids = {code // 2 for code in _codes(study) if code >= 0 and code % 2 == kind}
    return set(SearchWord.objects.filter(pk__in=ids).values_list("word", flat=True))


# -- in step with the registry ------------------------------------------------------------------


@on_postgresql
def test_a_published_study_has_the_words_of_its_text_and_its_places(
    make_study: StudyMaker,
) -> None:
    study = make_study(public_title="Bröstcancer hos äldre", sites=[GAVLE_SITE])
    assert {"brostcancer", "hos", "aldre"} <= _words(study, 0)
    assert {"gavle", "sjukhus"} <= _words(study, 1)
    assert "gavle" not in _words(study, 0)


@on_postgresql
def test_a_published_study_has_the_tags_of_its_status_and_its_sites_regions(
    make_study: StudyMaker,
) -> None:
    study = make_study(public_title="Astma", sites=[UPPSALA_SITE, GAVLE_SITE])
    tags = {code for code in _codes(study) if code < 0}
    assert tags == {tag_code("#rc"), tag_code("#03"), tag_code("#21")}


@on_postgresql
def test_a_changed_study_has_its_new_words_and_not_its_old_ones(make_study: StudyMaker) -> None:
    study = make_study(public_title="Astma hos barn")
    Study.objects.filter(pk=study.pk).update(public_title="Migrän hos barn")
    search_index_study(study.pk)
    assert "migran" in _words(study, 0)
    assert "astma" not in _words(study, 0)


@on_postgresql
def test_the_migration_writes_the_codes_of_entries_indexed_before_it(
    make_study: StudyMaker,
) -> None:
    study = make_study(public_title="Astma hos barn", sites=[GAVLE_SITE])
    codes = _codes(study)
    SearchEntry.objects.filter(pk=study.pk).update(words="")
    assert found(q="astma") == []
    assert search_words_fill() == 1
    assert _codes(study) == codes
    assert found(q="astma", regions=["21"]) == [study.pk]


def test_a_changed_study_is_found_by_its_new_words_only(make_study: StudyMaker) -> None:
    study = make_study(public_title="Astma hos barn")
    Study.objects.filter(pk=study.pk).update(public_title="Migrän hos barn")
    search_index_study(study.pk)
    assert found(q="migrän") == [study.pk]
    assert found(q="astma") == []


def test_a_changed_status_moves_the_study_between_the_status_filters(
    make_study: StudyMaker,
) -> None:
    study = make_study(public_title="Astma hos barn")
    assert found(q="astma", statuses=["recruiting"]) == [study.pk]
    Study.objects.filter(pk=study.pk).update(overall_status="completed")
    search_index_study(study.pk)
    assert found(q="astma", statuses=["recruiting"]) == []
    assert found(q="astma", statuses=["completed"]) == [study.pk]


def test_a_withdrawn_study_is_found_by_none_of_its_words(
    make_study: StudyMaker, cecilia: Any
) -> None:
    study = make_study(public_title="Astma hos barn", sites=[GAVLE_SITE])
    study_close(study=study, by=cecilia, state=StudyState.WITHDRAWN, reason="duplicate")
    assert found(q="astma") == []
    assert found(q="gavle", regions=["21"]) == []
    assert not SearchEntry.objects.filter(pk=study.pk).exists()


def test_the_region_filter_asks_for_a_site_in_the_region_not_the_lead_region(
    make_study: StudyMaker,
) -> None:
    # The text index's tags count the lead region of a study without sites; the filter does
    # not, and on PostgreSQL the word index's tags stand in for it.
    study = make_study(public_title="Astma hos barn", sites=[])
    Study.objects.filter(pk=study.pk).update(lead_region=Region.objects.get(code="03"))
    search_index_study(study.pk)
    assert SearchEntry.objects.get(pk=study.pk).region_codes == "03"
    assert found(q="astma") == [study.pk]
    assert found(q="astma", regions=["03"]) == []


# -- the same answers as SQLite's text index --------------------------------------------------


def test_swedish_letters_are_found_folded_or_not(make_study: StudyMaker) -> None:
    study = make_study(public_title="Hälsa för äldre på Åland")
    assert found(q="hälsa") == [study.pk]
    assert found(q="halsa") == [study.pk]
    assert found(q="ÅLAND") == [study.pk]


def test_a_word_is_found_inside_a_compound_but_a_place_only_from_a_word_start(
    make_study: StudyMaker,
) -> None:
    breast = make_study(public_title="Bröstcancer och träning", sites=[UPPSALA_SITE])
    assert found(q="cancer") == [breast.pk]
    assert found(q="uppsala") == [breast.pk]
    assert found(q="akademiska") == [breast.pk]
    assert found(q="psala") == []  # inside the town's name, not at a word's start


def test_a_typo_whose_letter_stands_for_a_space_finds_the_two_words(
    make_study: StudyMaker,
) -> None:
    # `diab_tes%`, one of the typo patterns of `diabetes`, matches `diab tes`: a `_` matches
    # any character of the text, a space too.
    split = make_study(public_title="Mätning diab tes vecka")
    make_study(public_title="Mätning diab vecka")
    assert found(q="diabetes") == [split.pk]


def test_a_phrase_is_found_only_as_consecutive_words(make_study: StudyMaker) -> None:
    heart = make_study(public_title="Sömn", public_title_en="Heart failure in older people")
    make_study(public_title="Sömn", public_title_en="Heart surgery and kidney failure")
    assert found(q="heart failure") == [heart.pk]


def test_a_very_long_word_is_found_whole_and_by_its_start(make_study: StudyMaker) -> None:
    word = "pneumonoultramicroscopicsilicovolcanoconiosis" * 3
    study = make_study(public_title=f"Studie om {word}")
    assert found(q=word) == [study.pk]
    assert found(q=word[:50]) == [study.pk]
    assert found(q=word + "x") == []


def test_short_words_are_found_only_whole(make_study: StudyMaker) -> None:
    kol = make_study(public_title="KOL och andning")
    make_study(public_title="Alkohol och sömn")
    assert found(q="kol") == [kol.pk]


# -- the word index against the patterns themselves (PostgreSQL) ------------------------------

_TITLES = [
    "Bröstcancer hos äldre",
    "Heart failure and kidney disease",
    "Heart surgery and kidney failure",
    "Diab tes mätning",
    "Astma hos barn",
    "KOL och alkohol",
    "Prostatacancern",
]
_PATTERNS = [
    "%cancer%",
    "% cancer%",
    "%canc%",
    "% kol %",
    "%kol%",
    "%heart failure%",
    "% heart fail%",
    "%rt fail%",
    "%failure and%",
    "% diab_tes%",
    "% diab_t%",
    "% ast_a %",
    "% a_ta %",
    "%s ba%",
    "% barn %",
    "%a_b%",
    "%cancern %",
    "%zzz%",
]


@on_postgresql
@pytest.mark.parametrize("pattern", _PATTERNS)
def test_the_word_index_finds_what_the_pattern_finds_in_the_texts(
    make_study: StudyMaker, pattern: str
) -> None:
    for title in _TITLES:
        make_study(public_title=title, sites=[UPPSALA_SITE])
    regex = re.compile(like_regex(pattern))
    place = re.compile(like_regex(at_word_start(pattern)))
    expected = {
        text.entry_id
        for text in SearchText.objects.all()
        if regex.search(text.document) or place.search(text.places)
    }
    sources = (("document", (pattern,)), ("places", (at_word_start(pattern),)))
    matched = SearchEntry.objects.filter(words_matching(sources))
    assert set(matched.values_list("study_id", flat=True)) == expected
    assert words_found(sources) is bool(expected)
