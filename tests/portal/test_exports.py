"""The public exports of a search, the Atom feed and the CSV: what they may hold, and how
often one client may ask for them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from defusedxml import ElementTree
from django.core.cache import cache
from django.test import Client, override_settings

from studienav.registry.models import Study
from tests.search.conftest import StudyMaker

pytestmark = pytest.mark.django_db

ATOM = {"atom": "http://www.w3.org/2005/Atom"}
PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def _fresh_counts() -> Iterator[None]:
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_body(response).decode())))


@pytest.fixture
def planted(make_study: StudyMaker) -> Study:
    """A published study whose texts would run as formulas in a spreadsheet."""
    return make_study(
        public_title='=HYPERLINK("http://x","y")',
        public_title_en="+1",
        primary_sponsor_name="@x",
        conditions=[{"name": "-1"}],
    )


def test_csv_keeps_text_that_would_run_as_a_formula_as_text(client: Client, planted: Study) -> None:
    [row] = _csv(client.get("/studies.csv"))
    assert row["title"] == '\'=HYPERLINK("http://x","y")'
    assert row["title_en"] == "'+1"
    assert row["sponsor"] == "'@x"
    assert row["conditions"] == "'-1"


def test_api_csv_keeps_text_that_would_run_as_a_formula_as_text(
    client: Client, planted: Study
) -> None:
    [row] = _csv(client.get("/api/v1/studies.csv"))
    assert row["public_title"] == '\'=HYPERLINK("http://x","y")'
    assert row["public_title_en"] == "'+1"
    assert row["sponsor"] == "'@x"
    assert row["conditions"] == "'-1"


def test_feed_summaries_are_text_not_markup(client: Client, make_study: StudyMaker) -> None:
    make_study(public_title="Astma", summary_sv='<img src=x onerror="alert(1)"> & mer')
    root = ElementTree.fromstring(client.get("/studies/feed.atom").content)
    summary = root.find("atom:entry/atom:summary", ATOM)
    assert summary is not None
    assert summary.get("type", "text") == "text"
    assert summary.text == '<img src=x onerror="alert(1)"> & mer'


@pytest.mark.parametrize("query", ["q=%01", "q=a%00b", "q=%1Bx&near=%01"])
@pytest.mark.parametrize(
    "path",
    ["/studies/feed.atom", "/studies/", "/studies.csv", "/api/v1/studies", "/fhir/ResearchStudy"],
)
def test_control_characters_in_a_search_never_give_a_server_error(
    make_study: StudyMaker, path: str, query: str
) -> None:
    make_study(public_title="Astma")
    response = Client(raise_request_exception=False).get(f"{path}?{query}")
    _body(response)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("query", ["q=%01", "q=a%00b"])
def test_the_feed_of_a_search_with_control_characters_is_well_formed(
    client: Client, make_study: StudyMaker, query: str
) -> None:
    make_study(public_title="Astma")
    response = client.get(f"/studies/feed.atom?{query}")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    assert root.findtext("atom:title", namespaces=ATOM)


def test_a_study_text_with_a_control_character_does_not_break_the_feed(
    client: Client, make_study: StudyMaker
) -> None:
    study = make_study(public_title="Astma")
    Study.objects.filter(pk=study.pk).update(summary_sv="Före\x0bEfter")
    response = client.get("/studies/feed.atom")
    assert response.status_code == 200
    summary = ElementTree.fromstring(response.content).find("atom:entry/atom:summary", ATOM)
    assert summary is not None and summary.text == "FöreEfter"


@pytest.mark.parametrize("path", ["/studies/feed.atom", "/studies.csv"])
@override_settings(API_RATE_LIMIT=3)
def test_a_client_over_the_limit_is_told_when_to_come_back(client: Client, path: str) -> None:
    for _ in range(3):
        _body(client.get(path))
    response = client.get(path)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert Client(REMOTE_ADDR="192.0.2.7").get(path).status_code == 200


@override_settings(API_RATE_LIMIT=3, TRUSTED_PROXY_HOPS=1)
def test_behind_the_proxy_each_client_has_its_own_budget(client: Client) -> None:
    for _ in range(3):
        client.get("/studies/feed.atom", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.23")
    limited = client.get(
        "/studies/feed.atom", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1, 198.51.100.23"
    )
    assert limited.status_code == 429
    other = client.get("/studies/feed.atom", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert other.status_code == 200


@override_settings(API_RATE_LIMIT=0)
def test_a_limit_of_zero_turns_it_off(client: Client) -> None:
    for _ in range(10):
        assert client.get("/studies/feed.atom").status_code == 200
