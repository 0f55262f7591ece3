"""A member of the public finds a study with the keyboard only; every page passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.registry.models import Study
from studienav.registry.records import record_apply
from tests.browser.conftest import assert_accessible
from tests.search.conftest import GAVLE_SITE, UPPSALA_SITE, study_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _publish(**fields: object) -> Study:
    return record_apply(
        record=study_record(state="published", **fields), by=None, reason="test"
    ).study


@pytest.fixture
def studies(db: None) -> list[Study]:
    return [
        _publish(
            public_title="Astma hos vuxna",
            public_title_en="Asthma in adults",
            summary_sv="Vi prövar ett nytt inhalationsläkemedel.",
            summary_en="We test a new inhaler.",
            conditions=[{"name": "Astma", "icd10": "J45"}],
            identifiers=[{"scheme": "nct", "value": "NCT01234567", "is_primary": True}],
            sites=[UPPSALA_SITE, GAVLE_SITE],
            min_age_years=18,
        ),
        _publish(public_title="Diabetes och motion", summary_en="Diabetes and exercise."),
    ]


def _tab_until(page: Page, selector: str, *, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_search_to_study_page(
    live_server: LiveServer, page: Page, studies: list[Study]
) -> None:
    page.goto(live_server.url + "/start/")
    assert_accessible(page)
    _tab_until(page, "#search-q")
    page.keyboard.type("astma")
    page.keyboard.press("Enter")
    # The count in the page's words (the Swedish catalogue may lag behind new strings).
    expect(page.locator("#results-heading")).to_have_text(re.compile(r"^1 "))
    assert_accessible(page)
    _tab_until(page, ".study-item h3 a")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Astma hos vuxna")).to_be_visible()
    assert_accessible(page)


def test_english_pages_and_a_phone_sized_screen_pass_axe(
    live_server: LiveServer, page: Page, studies: list[Study]
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/en/studies/?q=diabetes&facets=true")
    expect(page.get_by_role("heading", name="1 study found")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(live_server.url + f"/en/studies/{studies[0].pk}/?near=Gävle")
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(live_server.url + "/en/studies/?status=open")
    expect(page.get_by_role("alert")).to_contain_text("open is not a valid status")
    assert_accessible(page)


def test_ticking_a_filter_updates_the_results(
    live_server: LiveServer, page: Page, studies: list[Study]
) -> None:
    page.goto(live_server.url + "/en/studies/")
    expect(page.get_by_role("heading", name="2 studies found")).to_be_visible()
    page.get_by_role("checkbox", name="Gävleborg").check()
    expect(page.get_by_role("heading", name="1 study found")).to_be_visible()
    assert "region=21" in page.url
