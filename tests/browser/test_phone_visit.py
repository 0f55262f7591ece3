"""A visitor on a phone goes from the start page to a study through the filter button and the
pages of results, then to the interest form and the accessibility statement, only by
following what the pages offer; every page passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from studienav.registry.models import Study
from studienav.registry.records import record_apply
from tests.browser.conftest import assert_accessible
from tests.search.conftest import OREBRO_SITE, UPPSALA_SITE, study_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE: ViewportSize = {"width": 390, "height": 844}
# More than one page of 20 in Uppsala; a few in Örebro that the filter leaves out.
IN_UPPSALA, IN_OREBRO = 23, 3


def _publish(title: str, site: dict[str, object]) -> Study:
    record = study_record(
        state="published",
        public_title=title,
        summary_sv="Vi prövar ett nytt inhalationsläkemedel.",
        conditions=[{"name": "Astma", "icd10": "J45"}],
        sites=[site],
    )
    return record_apply(record=record, by=None, reason="test").study


@pytest.fixture
def asthma_studies(db: None) -> list[Study]:
    return [_publish(f"Astma i Uppsala {n}", UPPSALA_SITE) for n in range(IN_UPPSALA)] + [
        _publish(f"Astma i Örebro {n}", OREBRO_SITE) for n in range(IN_OREBRO)
    ]


def _fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_phone_visit_from_start_page_to_study_interest_and_accessibility_statement(
    live_server: LiveServer, page: Page, asthma_studies: list[Study]
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/start/")
    assert_accessible(page)
    _fits_the_screen(page)

    # Search from the start page.
    page.locator("#search-q").fill("astma")
    page.locator("#search-q").press("Enter")
    expect(page.locator("#results-heading")).to_have_text(
        re.compile(rf"^{IN_UPPSALA + IN_OREBRO} ")
    )
    expect(page.locator(".results-range")).to_contain_text(
        re.compile(rf"1–20 (av|of) {IN_UPPSALA + IN_OREBRO}$")
    )
    assert_accessible(page)
    _fits_the_screen(page)

    # The filter button above the results reaches the filters.
    filter_button = page.locator("#results .filter-jump a")
    expect(filter_button).to_be_visible()
    expect(filter_button).to_have_text(re.compile(r"^(Filtrera|Filter)$"))
    filter_button.click()
    expect(page).to_have_url(re.compile(r"#filters$"))
    expect(page.locator("#filters-heading")).to_be_in_viewport()
    page.locator("#f-region-03").check()
    # The results follow the choice (htmx), and the button counts it.
    expect(page.locator("#results-heading")).to_have_text(re.compile(rf"^{IN_UPPSALA} "))
    expect(filter_button).to_have_text(re.compile(r"\(1 "))
    assert_accessible(page)
    page.locator("#filters .filter-jump a").click()
    expect(page.locator("#results-heading")).to_be_in_viewport()

    # The second page, through the pager.
    pager = page.get_by_role("navigation", name=re.compile("^(Sidor|Pages)$"))
    expect(pager.locator('[aria-current="page"]')).to_have_text("1")
    pager.get_by_role("link", name=re.compile(r"^(Sida|Page) 2$")).click()
    expect(pager.locator('[aria-current="page"]')).to_have_text("2")
    expect(page.locator(".results-range")).to_contain_text(f"21–{IN_UPPSALA}")
    expect(page.locator(".study-item")).to_have_count(IN_UPPSALA - 20)
    expect(page.locator(".study-item h3 a").first).to_have_text(re.compile("^Astma i Uppsala"))
    assert "region=03" in page.url and "page=2" in page.url
    expect(
        pager.get_by_role("link", name=re.compile("Föregående sida|Previous page"))
    ).to_be_visible()
    assert_accessible(page)
    _fits_the_screen(page)

    # A study, and its way to the interest form.
    page.locator(".study-item h3 a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Astma i Uppsala"))
    assert_accessible(page)
    _fits_the_screen(page)
    page.get_by_role("link", name=re.compile("Jag är intresserad|I'm interested")).click()
    expect(page).to_have_url(re.compile(r"/studies/\d+/interest/$"))
    assert_accessible(page)
    _fits_the_screen(page)

    # The accessibility statement, from the footer.
    page.get_by_role("contentinfo").get_by_role(
        "link", name=re.compile("Tillgänglighetsredogörelse|Accessibility statement")
    ).click()
    expect(page).to_have_url(re.compile(r"/accessibility/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    _fits_the_screen(page)


def test_phone_filters_and_pages_work_without_javascript(
    live_server: LiveServer, browser: Browser, asthma_studies: list[Study]
) -> None:
    context = browser.new_context(locale="sv-SE", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/studies/?q=astma")
        page.locator("#results .filter-jump a").click()
        page.locator("#f-region-03").check()
        page.locator("#filters button[type=submit]").click()
        expect(page.locator("#results-heading")).to_have_text(re.compile(rf"^{IN_UPPSALA} "))
        expect(page.locator("#results .filter-jump a")).to_have_text(re.compile(r"\(1 "))
        pager = page.locator("nav.pager")
        pager.get_by_role("link", name=re.compile(r"^(Nästa sida|Next page)$")).click()
        expect(pager.locator('[aria-current="page"]')).to_have_text("2")
        expect(page.locator(".study-item")).to_have_count(IN_UPPSALA - 20)
        assert "region=03" in page.url
    finally:
        context.close()
