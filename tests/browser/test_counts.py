"""A coordinator builds a cohort definition (a concept found by name added as a criterion,
rows added and removed), sends it to three count agents running as their own processes for a
sponsor's study request, and sees each region's protected answer and the total; the sponsor
then sees the same answers on their study request, in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import Region, User
from studienav.counts.models import AnswerStatus, CountAgent, RegionAnswer
from studienav.feasibility import services as feasibility
from studienav.feasibility.models import StudyRequest
from tests.browser.conftest import assert_accessible, sign_in
from tests.counts import agent_processes as agents
from tests.feasibility.conftest import request_data, sponsor_organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The agents' fixtures (session-wide: three processes started once).
agent_world = agents.agent_world
hub_keys = agents.hub_keys
agent_processes = agents.agent_processes
VIRAL_SINUSITIS = 40481087


def _study_request(david: User, cecilia: User, orebro: Region) -> StudyRequest:
    """David's request, forwarded to Örebro, whose coordinator may attach a count question."""
    request = feasibility.request_submit(
        by=david,
        organisation=sponsor_organisation(david),
        data=request_data(answer_deadline=timezone.localdate() + timedelta(days=21)),
    )
    feasibility.request_forward(by=cecilia, request=request, regions=[orebro])
    return request


def test_coordinator_builds_a_definition_and_sees_three_regions_answer(
    live_server: LiveServer,
    browser: Browser,
    bertil: User,
    david: User,
    cecilia: User,
    orebro: Region,
    settings: object,
    hub_keys: tuple[str, str],
    agent_processes: dict[str, agents.AgentProcess],
    agent_world: Path,
) -> None:
    settings.COUNTS_HUB_PRIVATE_KEY = hub_keys[0]  # type: ignore[attr-defined]
    settings.COUNTS_DATA_DIR = agent_world / "data"  # type: ignore[attr-defined]
    settings.COUNTS_AGENT_TIMEOUT = 120.0  # type: ignore[attr-defined]
    for code, agent in agent_processes.items():
        CountAgent.objects.create(
            region=Region.objects.get(code=code), url=agent.url, public_key=agent.public_key
        )
    study_request = _study_request(david, cecilia, orebro)
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    sign_in(page, live_server.url, bertil)

    page.goto(live_server.url + "/en/counts/")
    expect(page.get_by_role("heading", name="Patient counts", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New definition").click()
    expect(page.get_by_role("heading", name="New definition")).to_be_visible()
    rule = page.get_by_role("region", name="The rule a count follows")
    expect(rule).to_contain_text("an event counts only if it lies inside an observation period")
    assert_accessible(page)

    # Find a concept by name in the region's vocabulary and add it as a criterion.
    page.get_by_label("Find a concept by name or code").fill("sinusitis")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_role("cell", name="Viral sinusitis", exact=True)).to_be_visible()
    assert_accessible(page)
    add = re.compile(r"^Add as a criterion\W+Viral sinusitis$")
    page.get_by_role("button", name=add).click()
    first = page.get_by_role("group", name="Criterion 1")
    expect(first.get_by_label("Concept ids")).to_have_value(str(VIRAL_SINUSITIS))
    expect(first.get_by_label("Name")).to_have_value("Viral sinusitis")
    expect(first.get_by_label("With or without")).to_have_value("with")
    assert_accessible(page)

    # A row more, and away again: the criterion found stays.
    page.get_by_role("button", name="Add a criterion").click()
    expect(page.get_by_role("group", name="Criterion 2")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Remove criterion 2").click()
    expect(page.get_by_role("group", name="Criterion 2")).to_have_count(0)
    expect(first.get_by_label("Name")).to_have_value("Viral sinusitis")

    page.get_by_label("Title").fill("Women in the three regions")
    for region in ("Region Uppsala", "Region Örebro County", "Region Gävleborg"):
        page.get_by_label(region).check()
    page.get_by_label("Index event", exact=True).select_option("observation_period")
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Save the definition").click()
    expect(page.get_by_role("heading", name="Women in the three regions")).to_be_visible()
    expect(page.get_by_text("Women only.")).to_be_visible()
    expect(page.get_by_text("Viral sinusitis").first).to_be_visible()
    assert_accessible(page)

    page.get_by_label("For study request").select_option(label=str(study_request))
    page.get_by_role("button", name="Send to the regions' agents").click()
    expect(page.get_by_text("The question is sent to the regions.")).to_be_visible()
    table = page.locator("table.count-answers")
    for region in ("Uppsala", "Örebro", "Gävleborg"):
        expect(table.get_by_role("rowheader", name=re.compile(region))).to_be_visible()
    expect(table.get_by_text("Total of the protected answers")).to_be_visible()
    assert_accessible(page)

    answers = RegionAnswer.objects.filter(status=AnswerStatus.ANSWERED)
    assert answers.count() == 3
    total = sum(a.value or 0 for a in answers)
    expect(table.locator("tfoot")).to_contain_text(str(total))

    # On a phone the answers still fit.
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
    context.close()

    # The sponsor sees the protected answers and their total on the study request.
    sponsor_context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    sponsor = sponsor_context.new_page()
    sponsor.set_default_timeout(30_000)
    sign_in(sponsor, live_server.url, david)
    expect(sponsor.get_by_role("heading", name="What waits for you")).to_be_visible()
    sponsor.goto(live_server.url + f"/en/study-requests/{study_request.pk}/")
    panel = sponsor.locator(
        "section", has=sponsor.get_by_role("heading", name="Patient counts per region")
    )
    expect(panel.get_by_role("heading", name="Women in the three regions")).to_be_visible()
    answers_table = panel.locator("table.count-answers")
    for region in ("Uppsala", "Örebro", "Gävleborg"):
        expect(answers_table.get_by_role("rowheader", name=re.compile(region))).to_be_visible()
    expect(answers_table.locator("tfoot")).to_contain_text(str(total))
    for answer in answers:
        shown = "fewer than 11" if answer.shown.startswith("<") else answer.shown
        row = answers_table.get_by_role("row", name=re.compile(answer.region.short_name))
        expect(row).to_contain_text(shown)
    assert_accessible(sponsor)
    sponsor_context.close()
