"""The results page on a phone: which studies are shown, the way to the filters, and numbered
pages that keep the search."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.http import QueryDict
from django.test import Client

from studienav.portal.paging import page_query, pager_build
from studienav.registry.models import Study
from tests.search.conftest import OREBRO_SITE, UPPSALA_SITE, StudyMaker

pytestmark = pytest.mark.django_db


class _Pager(HTMLParser):
    """The links of a page's pager: (text, href, attributes), in order."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, dict[str, str | None]]] = []
        self._depth = 0
        self._open: dict[str, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "nav" and "pager" in (found.get("class") or ""):
            self._depth = 1
        elif self._depth and tag == "nav":
            self._depth += 1
        if self._depth and tag == "a":
            self._open, self._text = found, ""

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag == "nav":
            self._depth -= 1
        if tag == "a" and self._open is not None:
            self.links.append((self._text.strip(), self._open.get("href") or "", self._open))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text += data


def _pager(html: str) -> list[tuple[str, str, dict[str, str | None]]]:
    parser = _Pager()
    parser.feed(html)
    return parser.links


@pytest.fixture
def five_asthma_studies(make_study: StudyMaker) -> list[Study]:
    return [make_study(public_title=f"Astma {n}") for n in range(5)]


# ---------------------------------------------------------------- which ones are shown


def test_english_results_say_which_studies_are_shown(
    client: Client, five_asthma_studies: list[Study]
) -> None:
    text = client.get("/en/studies/", {"q": "astma", "limit": "2", "page": "2"}).content.decode()
    assert "Showing 3–4 of 5" in text


def test_swedish_results_say_which_studies_are_shown(
    client: Client, five_asthma_studies: list[Study]
) -> None:
    text = client.get("/studies/", {"q": "astma", "limit": "2", "page": "3"}).content.decode()
    assert "Visar 5–5 av 5" in text


def test_one_page_of_results_needs_no_range(
    client: Client, five_asthma_studies: list[Study]
) -> None:
    text = client.get("/en/studies/", {"q": "astma"}).content.decode()
    assert "5 studies found" in text
    assert "Showing" not in text and 'class="pager"' not in text


# ---------------------------------------------------------------- the filter button


def test_filter_button_says_how_many_filters_are_chosen(
    client: Client, make_study: StudyMaker
) -> None:
    make_study(public_title="Astma", phase="3", sites=[UPPSALA_SITE, OREBRO_SITE])
    text = client.get("/en/studies/?q=astma&region=03&region=18&phase=3").content.decode()
    assert '<a class="button button-secondary" href="#filters">Filter (3 chosen)</a>' in text
    assert '<aside id="filters"' in text


def test_filter_button_without_a_chosen_filter_says_filter(
    client: Client, five_asthma_studies: list[Study]
) -> None:
    text = client.get("/en/studies/?q=astma").content.decode()
    assert 'href="#filters">Filter</a>' in text


# ---------------------------------------------------------------- the page links


def test_page_links_show_both_ends_and_the_pages_around_the_current_one() -> None:
    pager = pager_build(query=QueryDict("q=astma"), number=6, per_page=20, total=1000)
    assert [link.number for link in pager.links] == [1, None, 4, 5, 6, 7, 8, None, 50]
    assert [link.number for link in pager.links if link.is_current] == [6]


def test_few_pages_are_all_shown() -> None:
    pager = pager_build(query=QueryDict(""), number=2, per_page=20, total=96)
    assert [link.number for link in pager.links] == [1, 2, 3, 4, 5]
    assert (pager.first, pager.last, pager.count) == (21, 40, 5)


def test_page_links_keep_the_search_and_drop_the_cursor() -> None:
    query = QueryDict("q=astma&region=03&region=18&sort=title&cursor=abc&page=3")
    assert dict(QueryDict(page_query(query, 2)).lists()) == {
        "q": ["astma"],
        "region": ["03", "18"],
        "sort": ["title"],
        "page": ["2"],
    }
    assert "page" not in QueryDict(page_query(query, 1))


def test_current_page_is_marked_for_assistive_technology(
    client: Client, five_asthma_studies: list[Study]
) -> None:
    links = _pager(client.get("/en/studies/?q=astma&limit=2&page=2").content.decode())
    current = [text for text, _href, attrs in links if attrs.get("aria-current") == "page"]
    assert current == ["2"]
    assert [attrs.get("aria-label") for text, _href, attrs in links if text == "3"] == ["Page 3"]


def test_first_page_has_a_next_link_and_no_previous_one(
    client: Client, five_asthma_studies: list[Study]
) -> None:
    links = _pager(client.get("/en/studies/?q=astma&limit=2").content.decode())
    rels = [attrs.get("rel") for _text, _href, attrs in links if attrs.get("rel")]
    assert rels == ["next"]
    assert [text for text, _href, _attrs in links] == ["1", "2", "3", "Next page"]


def test_last_page_has_a_previous_link_and_no_next_one(
    client: Client, five_asthma_studies: list[Study]
) -> None:
    links = _pager(client.get("/en/studies/?q=astma&limit=2&page=3").content.decode())
    rels = [attrs.get("rel") for _text, _href, attrs in links if attrs.get("rel")]
    assert rels == ["prev"]
    previous = next(href for _text, href, attrs in links if attrs.get("rel") == "prev")
    assert QueryDict(previous.removeprefix("?").split("#")[0])["page"] == "2"


def test_a_page_link_shows_that_page(client: Client, five_asthma_studies: list[Study]) -> None:
    first = client.get("/en/studies/?q=astma&limit=2").content.decode()
    href = next(href for text, href, _attrs in _pager(first) if text == "3")
    last = client.get("/en/studies/" + href.split("#")[0]).content.decode()
    assert "Showing 5–5 of 5" in last
    assert last.count('class="study-item"') == 1


# ---------------------------------------------------------------- out of bounds


def test_more_pages_than_the_bound_are_cut_with_a_hint() -> None:
    pager = pager_build(query=QueryDict(""), number=100, per_page=20, total=5000)
    assert pager.count == 100 and pager.is_cut
    assert pager.links[-1].number == 100 and pager.next_query is None


def test_a_page_past_the_bound_answers_400_suggesting_a_narrower_search(client: Client) -> None:
    response = client.get("/en/studies/?q=astma&page=101")
    assert response.status_code == 400
    text = response.content.decode()
    assert "Only the first 100 pages of results are shown" in text
    assert "Narrow the search" in text


@pytest.mark.parametrize("page", ["0", "-2", "abc", "1.5"])
def test_a_page_that_is_no_page_answers_400_naming_page(client: Client, page: str) -> None:
    response = client.get(f"/en/studies/?q=astma&page={page}")
    assert response.status_code == 400
    assert "page must be a whole number from 1 to 100" in response.content.decode()


def test_a_page_past_the_last_one_links_to_the_last(
    client: Client, five_asthma_studies: list[Study]
) -> None:
    response = client.get("/en/studies/?q=astma&limit=2&page=9")
    assert response.status_code == 200
    text = response.content.decode()
    assert "There is no page 9 of this search." in text
    assert "limit=2&amp;page=3#results" in text and "No study matches" not in text
