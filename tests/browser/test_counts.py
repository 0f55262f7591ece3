"""A coordinator builds a cohort definition, sends it to three count agents running as their
own processes, and sees each region's protected answer and the total, in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import Region, User
from studienav.counts.models import AnswerStatus, CountAgent, RegionAnswer
from tests.browser.conftest import assert_accessible, sign_in
from tests.counts import agent_processes as agents

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The agents' fixtures (session-wide: three processes started once).
agent_world = agents.agent_world
hub_keys = agents.hub_keys
agent_processes = agents.agent_processes


def test_coordinator_builds_a_definition_and_sees_three_regions_answer(
    live_server: LiveServer,
    browser: Browser,
    bertil: User,
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
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    sign_in(page, live_server.url, bertil)

    page.goto(live_server.url + "/en/counts/")
    expect(page.get_by_role("heading", name="Patient counts", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New definition").click()
    expect(page.get_by_role("heading", name="New definition")).to_be_visible()
    expect(page.get_by_text("only events inside an observation period count").first).to_be_visible()
    assert_accessible(page)

    # Find a concept by name in the region's vocabulary.
    page.get_by_label("Find a concept by name or code").fill("sinusitis")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_role("cell", name="Viral sinusitis")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Title").fill("Women in the three regions")
    for region in ("Region Uppsala", "Region Örebro County", "Region Gävleborg"):
        page.get_by_label(region).check()
    page.get_by_label("Index event", exact=True).select_option("observation_period")
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Save the definition").click()
    expect(page.get_by_role("heading", name="Women in the three regions")).to_be_visible()
    expect(page.get_by_text("Women only.")).to_be_visible()
    assert_accessible(page)

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
