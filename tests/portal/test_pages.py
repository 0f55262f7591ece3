"""The public pages in Swedish and English: start, results, feed, CSV, study page."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from defusedxml import ElementTree
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from studienav.registry.models import Study
from studienav.search.params import SearchParams
from studienav.search.services import study_search
from tests.search.conftest import GAVLE_SITE, OREBRO_SITE, UPPSALA_SITE, StudyMaker

pytestmark = pytest.mark.django_db

MAX_PAGE_BYTES = 200_000


@pytest.fixture
def asthma(make_study: StudyMaker) -> Study:
    return make_study(
        public_title="Astma hos vuxna i Uppsala",
        public_title_en="Asthma in adults",
        summary_sv="Vi prövar ett nytt inhalationsläkemedel.",
        summary_en="",
        phase="3",
        min_age_years=18,
        max_age_years=70,
        inclusion_criteria="Astma sedan minst ett år.",
        conditions=[{"name": "Astma", "icd10": "J45"}],
        interventions=[{"type": "drug", "name": "Inhalator X"}],
        identifiers=[
            {"scheme": "nct", "value": "NCT01234567", "is_primary": True},
            {"scheme": "eu_ct", "value": "2023-501234-12-00"},
        ],
        sites=[UPPSALA_SITE, GAVLE_SITE],
    )


def test_start_page_shows_search_and_recruiting_counts_in_both_languages(
    client: Client, asthma: Study
) -> None:
    swedish = client.get("/start/")
    assert swedish.status_code == 200
    text = swedish.content.decode()
    assert 'lang="sv"' in text and "Sök" in text
    assert "region=03" in text and "therapeutic_area=X" in text
    english = client.get("/en/start/")
    assert english.status_code == 200
    assert 'lang="en"' in english.content.decode()
    assert "How to take part" in english.content.decode()


def test_results_page_finds_studies_with_facets_and_stays_small(
    client: Client, asthma: Study, make_study: StudyMaker
) -> None:
    make_study(public_title="Diabetes")
    response = client.get("/studies/", {"q": "astma"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Astma hos vuxna i Uppsala" in text
    assert "Diabetes" not in text
    assert 'name="phase" value="3"' in text
    assert len(response.content) < MAX_PAGE_BYTES
    english = client.get("/en/studies/", {"q": "asthma"})
    assert "Asthma in adults" in english.content.decode()
    assert "1 study found" in english.content.decode()


def test_results_fragment_for_htmx(client: Client, asthma: Study) -> None:
    response = client.get("/studies/", {"q": "astma"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith("<section") and "<html" not in text


def test_swedish_page_marks_english_text_with_its_language(
    client: Client, make_study: StudyMaker
) -> None:
    study = make_study(public_title="Sömn", summary_sv="", summary_en="A study of sleep.")
    text = client.get(f"/studies/{study.pk}/").content.decode()
    assert '<div class="record-text" lang="en"><p>A study of sleep.</p>' in text
    english_only = make_study(public_title="Hjärta", public_title_en="")
    text = client.get(f"/en/studies/{english_only.pk}/").content.decode()
    assert '<h1 lang="sv">Hjärta</h1>' in text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=open", "status"),
        ("age=-4", "age"),
        ("region=99", "region"),
        ("near=Atlantis", "near"),
        ("cursor=forged", "cursor"),
        ("sort=distance", "sort"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page=101", "page"),
    ],
)
def test_bad_parameters_answer_400_with_a_message(client: Client, query: str, field: str) -> None:
    response = client.get(f"/en/studies/?{query}")
    assert response.status_code == 400
    text = response.content.decode()
    assert 'class="error-summary"' in text and 'role="alert"' in text
    assert field in text or "place" in text
    assert client.get(f"/studies/feed.atom?{query}").status_code == 400
    assert client.get(f"/studies.csv?{query}").status_code == 400


def test_study_page_in_plain_language_with_registry_links(client: Client, asthma: Study) -> None:
    response = client.get(f"/en/studies/{asthma.pk}/", {"near": "Gävle"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Who can take part" in text and "18 to 70 years" in text
    assert "https://clinicaltrials.gov/study/NCT01234567" in text
    assert (
        "https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&amp;EUCT=2023-501234-12-00"
        in text
    )
    assert f"/en/studies/{asthma.pk}/history/" in text
    assert f"/en/studies/{asthma.pk}/interest/" in text
    assert text.index("Gävle sjukhus") < text.index("Akademiska sjukhuset")  # nearest first
    assert len(response.content) < MAX_PAGE_BYTES
    assert client.get(f"/studies/{asthma.pk}/interest/").status_code == 200


def test_unknown_place_on_study_page_is_explained(client: Client, asthma: Study) -> None:
    response = client.get(f"/en/studies/{asthma.pk}/", {"near": "Atlantis"})
    assert response.status_code == 400
    assert "We do not know the place Atlantis" in response.content.decode()


@pytest.mark.parametrize("state", ["draft", "submitted", "withdrawn"])
def test_studies_that_are_not_public_are_not_found(
    client: Client, make_study: StudyMaker, state: str
) -> None:
    hidden = make_study(state=state, public_title="Hemlig astma")
    assert client.get(f"/studies/{hidden.pk}/").status_code == 404
    assert client.get(f"/studies/{hidden.pk}/interest/").status_code == 404
    assert "Hemlig" not in client.get("/studies/", {"q": "astma"}).content.decode()
    exported = client.get("/studies.csv")
    assert b"Hemlig" not in b"".join(exported.streaming_content)  # type: ignore[attr-defined]


def test_atom_feed_of_a_search(client: Client, asthma: Study) -> None:
    response = client.get("/en/studies/feed.atom", {"q": "asthma"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    entries = root.findall("atom:entry", ns)
    assert [e.findtext("atom:title", namespaces=ns) for e in entries] == ["Asthma in adults"]


def test_csv_download_of_a_search(client: Client, asthma: Study, make_study: StudyMaker) -> None:
    make_study(public_title="Diabetes")
    response = client.get("/studies.csv", {"q": "astma"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["title"] for row in rows] == ["Astma hos vuxna i Uppsala"]
    assert rows[0]["regions"] == "03; 21"
    assert "NCT01234567" in rows[0]["identifiers"]


def _link(page: str, marker: str) -> str:
    """The href of the link carrying `marker` (an attribute), as the browser would follow it."""
    start = page.index(marker)
    opening = page.rindex("<a ", 0, start)
    href = page.index('href="', opening) + 6
    return page[href : page.index('"', href)].replace("&amp;", "&").split("#")[0]


def test_paging_links_carry_the_query(client: Client, make_study: StudyMaker) -> None:
    for n in range(3):
        make_study(public_title=f"Astma {n}")
    first = client.get("/en/studies/", {"q": "astma", "limit": "2"}).content.decode()
    assert "Next page" in first
    link = _link(first, 'rel="next"')
    assert "q=astma" in link and "limit=2" in link and "page=2" in link
    second = client.get("/en/studies/" + link)
    assert second.status_code == 200
    assert "Previous page" in second.content.decode()
    assert _link(second.content.decode(), 'rel="prev"') == "?q=astma&limit=2"


def test_an_older_cursor_link_still_pages_on(client: Client, make_study: StudyMaker) -> None:
    for n in range(3):
        make_study(public_title=f"Astma {n}")
    first = study_search(SearchParams(q="astma", limit=2))
    query = f"?q=astma&limit=2&cursor={first.next_cursor}"
    second = client.get("/en/studies/" + query).content.decode()
    assert second.count('class="study-item"') == 1
    assert _link(second, ">First page<") == "?q=astma&limit=2"


def test_study_page_reads_the_same_number_of_rows_sets_however_large_the_study(
    client: Client, make_study: StudyMaker, django_assert_max_num_queries: Any
) -> None:
    small = make_study(public_title="Liten", sites=[UPPSALA_SITE])
    large = make_study(
        public_title="Stor",
        sites=[UPPSALA_SITE, GAVLE_SITE, OREBRO_SITE],
        conditions=[{"name": "Astma"}, {"name": "KOL"}, {"name": "Allergi"}],
        interventions=[{"type": "drug", "name": "A"}, {"type": "drug", "name": "B"}],
    )
    client.get(f"/studies/{small.pk}/")
    with CaptureQueriesContext(connection) as first:
        assert client.get(f"/studies/{small.pk}/").status_code == 200
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(f"/studies/{large.pk}/?near=Uppsala").status_code == 200


def test_public_pages_are_kept_until_the_index_changes_and_never_for_someone_signed_in(
    client: Client,
    make_study: StudyMaker,
    shared_cache: None,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
    anna: Any,
    signed_in: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = make_study(public_title="Astma hos barn")
    page = client.get("/studies/?q=astma").content.decode()
    assert "Astma hos barn" in page
    # Again, for anyone not signed in: the kept page, without reading the database.
    with django_assert_max_num_queries(0):
        again = Client().get("/studies/?q=astma")
    assert again.content.decode() == page and "Cookie" in again["Vary"]
    # htmx's fragment is another answer at the same address.
    fragment = client.get("/studies/?q=astma", headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()
    # A committed change makes the next visitor get a new page.
    with django_capture_on_commit_callbacks(execute=True):
        make_study(public_title="Astma hos vuxna")
    assert "Astma hos vuxna" in client.get("/studies/?q=astma").content.decode()
    study_page = client.get(f"/en/studies/{first.pk}/").content.decode()
    assert 'lang="en"' in study_page
    # Someone signed in gets their own page, never a kept one.
    staff = signed_in(Client(), anna)
    own = staff.get("/studies/?q=astma").content.decode()
    assert "csrfmiddlewaretoken" in own and own != page


def test_a_near_match_says_so(client: Client, asthma: Study) -> None:
    near = client.get("/en/studies/?q=astmma").content.decode()
    assert "Asthma in adults" in near
    assert "spelled almost the same" in near
    exact = client.get("/en/studies/?q=astma").content.decode()
    assert "spelled almost the same" not in exact


def test_chosen_filters_that_match_nothing_keep_their_names(client: Client, asthma: Study) -> None:
    query = "?q=astma&status=completed&region=18&phase=4"
    swedish = client.get(f"/studies/{query}").content.decode()
    assert "Avslutad" in swedish and "Region Örebro län" in swedish and "Fas 4" in swedish
    english = client.get(f"/en/studies/{query}").content.decode()
    assert "Completed" in english and "Phase 4" in english
    assert ">completed<" not in english and "18 (0)" not in english
