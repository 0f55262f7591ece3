"""Numbered pages of a search: an offset into the same order the cursor pages through."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict
from django.utils import translation

from studienav.core.errors import ValidationFailed
from studienav.search.params import MAX_PAGE, SearchParams, page_parse
from studienav.search.services import study_search
from tests.search.conftest import GAVLE_SITE, UPPSALA_SITE, StudyMaker

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("sort", ["relevance", "updated", "start", "title", "distance"])
def test_offset_pages_are_the_cursor_pages_in_every_sort(make_study: StudyMaker, sort: str) -> None:
    for n in range(5):
        make_study(public_title=f"Astma {n}", sites=[UPPSALA_SITE if n % 2 else GAVLE_SITE])
    asked: dict[str, Any] = {"q": "astma", "sort": sort, "limit": 2}
    if sort == "distance":
        asked["near"] = "Uppsala"
        asked["radius_km"] = 500.0
    by_cursor: list[list[int]] = []
    cursor: str | None = None
    while True:
        page = study_search(SearchParams(cursor=cursor, **asked))
        by_cursor.append([s.pk for s in page.studies])
        if not (cursor := page.next_cursor):
            break
    by_offset = [
        [s.pk for s in study_search(SearchParams(offset=offset, **asked)).studies]
        for offset in (0, 2, 4)
    ]
    assert by_offset == by_cursor


def test_an_offset_past_the_end_finds_no_study_but_counts_them_all(
    make_study: StudyMaker,
) -> None:
    make_study(public_title="Astma")
    result = study_search(SearchParams(q="astma", limit=2, offset=10))
    assert result.studies == [] and result.total == 1 and result.next_cursor is None


def test_kept_answers_are_kept_for_each_page(make_study: StudyMaker, shared_cache: None) -> None:
    for n in range(4):
        make_study(public_title=f"Astma {n}")
    first = [s.pk for s in study_search(SearchParams(q="astma", limit=2)).studies]
    second = [s.pk for s in study_search(SearchParams(q="astma", limit=2, offset=2)).studies]
    assert not set(first) & set(second)
    again = [s.pk for s in study_search(SearchParams(q="astma", limit=2, offset=2)).studies]
    assert again == second


@pytest.mark.parametrize(
    ("value", "number"), [(None, 1), ("", 1), ("1", 1), (" 7 ", 7), ("100", 100)]
)
def test_page_is_a_whole_number_from_one(value: str | None, number: int) -> None:
    assert page_parse(value) == number


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "två", "9" * 5000])
def test_a_page_that_is_no_page_is_refused_naming_page(value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        page_parse(value)
    assert refused.value.field == "page" and refused.value.code == "out_of_range"


def test_a_page_past_the_bound_suggests_a_narrower_search() -> None:
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        page_parse(str(MAX_PAGE + 1))
    assert refused.value.field == "page" and refused.value.code == "page_too_far"
    assert "Narrow the search" in refused.value.message


def test_the_api_parameters_know_no_page() -> None:
    """Numbered pages are the portal's: a query's `page` leaves the search's offset alone."""
    assert SearchParams.from_query(QueryDict("q=astma&page=3")).offset == 0
