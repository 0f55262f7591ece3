"""Eva reads the statistics: charts drawn, filters in the URL, a table instead of the chart."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import Region
from studienav.registry.models import Site, Study, StudyState
from studienav.stats.refresh import facts_refresh
from tests.browser.conftest import assert_accessible
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def counted_studies() -> None:
    for code, opened in (
        ("03", date(2019, 3, 1)),
        ("18", date(2021, 5, 1)),
        ("03", date(2022, 1, 5)),
    ):
        region = Region.objects.get(code=code)
        study = Study.objects.create(
            public_title="Studie",
            state=StudyState.PUBLISHED,
            study_type="drug",
            sponsor_type="industry",
            overall_status="recruiting",
        )
        Site.objects.create(
            study=study,
            organisation=OrganisationFactory.create(region=region),
            region=region,
            start_date=opened,
        )
    facts_refresh(full=True)


def test_public_statistics_filter_into_the_url_and_show_a_table(
    live_server: LiveServer, page: Page, counted_studies: None
) -> None:
    page.goto(live_server.url + "/statistics/")
    ongoing = page.locator("#figure-studies-ongoing")
    expect(ongoing.locator("canvas")).to_be_visible()
    expect(ongoing.locator("table")).to_be_hidden()
    assert_accessible(page)

    page.get_by_label("Uppsala").check()
    # By id and attribute: the Swedish catalogue may not hold these new labels yet.
    page.locator("#id_year_from").fill("2020")
    page.locator("[data-stats-filters] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"region=03.*year_from=2020|year_from=2020.*region=03"))
    ongoing = page.locator("#figure-studies-ongoing")
    table_button = ongoing.locator("button[data-view=table]")
    table_button.click()
    table = ongoing.locator("table")
    expect(table).to_be_visible()
    expect(ongoing.locator("canvas")).to_be_hidden()
    expect(table_button).to_have_attribute("aria-pressed", "true")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr th")).to_have_text("Uppsala")
    assert_accessible(page)
