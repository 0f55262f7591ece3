"""A study goes from draft to published in Chromium; a later change waits for approval."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import Region, Role, User
from studienav.registry.models import Study, StudyState
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import RoleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Page, live_server: LiveServer, user: User) -> None:
    """Password and TOTP through the real pages, in English."""
    sign_in(page, live_server.url, user, scan=True)
    expect(page.get_by_role("heading", name="What waits for you")).to_be_visible()
    assert_accessible(page)


def test_draft_to_published_then_a_change_waits_for_approval_and_history_shows_both(
    live_server: LiveServer, browser: Browser, page: Page, anna: User, uppsala: Region
) -> None:
    ulla = UserFactory.create(email="ulla@test.example", full_name="Ulla Lind")
    RoleFactory.create(user=ulla, role=Role.NODE_COORDINATOR, region=uppsala)
    coordinator_context = browser.new_context(
        locale="en-GB", viewport={"width": 390, "height": 844}
    )
    coordinator = coordinator_context.new_page()
    coordinator.set_default_timeout(15_000)

    # Anna registers a draft and submits it.
    _sign_in(page, live_server, anna)
    page.get_by_role("link", name="Open my studies").click()
    expect(page.get_by_role("heading", name="My studies")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Register a new study").click()
    assert_accessible(page)
    page.get_by_label("Public title", exact=True).fill("Hjärtsvikt och fysisk aktivitet")
    page.get_by_label("Study type").select_option("other_interventional")
    # By id: the label's English wording is the catalogue's to settle.
    page.locator("#id_sponsor_type").select_option("academic")
    page.get_by_label("Planned start").fill("2026-01-01")
    page.get_by_label("Planned end").fill("2025-01-01")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("alert")).to_contain_text("Planned end")
    assert_accessible(page)
    page.get_by_label("Planned end").fill("2028-12-31")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_text("The draft is saved.")).to_be_visible()
    assert_accessible(page)
    study = Study.objects.get()
    page.get_by_label("Note to the coordinator").fill("Ready for review")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("The study is submitted for review.")).to_be_visible()
    assert_accessible(page)

    # Ulla, on her phone, finds it in her queue and publishes it.
    _sign_in(coordinator, live_server, ulla)
    coordinator.get_by_role("link", name="Open the review queue").click()
    expect(coordinator.get_by_role("heading", name="Review queue")).to_be_visible()
    assert_accessible(coordinator)
    coordinator.get_by_role("link", name="Hjärtsvikt och fysisk aktivitet").click()
    assert_accessible(coordinator)
    coordinator.get_by_role("button", name="Publish the study").click()
    expect(coordinator.get_by_text("The study is published.")).to_be_visible()
    assert_accessible(coordinator)
    study.refresh_from_db()
    assert study.state == StudyState.PUBLISHED

    # Anna changes the published record: the change waits.
    page.goto(live_server.url + f"/en/staff/studies/{study.pk}/edit/")
    expect(page.get_by_text("waits for approval", exact=False).first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Public title", exact=True).fill("Hjärtsvikt och daglig promenad")
    page.get_by_role("button", name="Save the study").click()
    expect(page.get_by_text("Your change waits for approval")).to_be_visible()
    assert_accessible(page)
    study.refresh_from_db()
    assert study.public_title == "Hjärtsvikt och fysisk aktivitet"

    # Ulla sees the diff and approves.
    coordinator.goto(live_server.url + "/en/staff/studies/queue/")
    expect(coordinator.locator("ins", has_text="Hjärtsvikt och daglig promenad")).to_be_visible()
    assert_accessible(coordinator)
    coordinator.get_by_role("link", name=re.compile("Approve or reject")).click()
    assert_accessible(coordinator)
    coordinator.get_by_role("button", name="Approve and publish").click()
    expect(coordinator.get_by_text("The change is approved and published.")).to_be_visible()
    assert_accessible(coordinator)

    # Anyone reads the public history with both versions.
    public_context = browser.new_context(locale="sv-SE")
    public = public_context.new_page()
    public.goto(live_server.url + f"/en/studies/{study.pk}/history/")
    expect(public.get_by_role("heading", name=re.compile("Version 2"))).to_be_visible()
    expect(public.get_by_role("heading", name=re.compile("Version 1"))).to_be_visible()
    expect(public.locator("del", has_text="Hjärtsvikt och fysisk aktivitet")).to_be_visible()
    expect(public.locator("ins", has_text="Hjärtsvikt och daglig promenad")).to_be_visible()
    assert_accessible(public)
    public.goto(live_server.url + f"/en/staff/studies/{study.pk}/")
    expect(public).to_have_url(re.compile("/account/login/"))
    public_context.close()
    coordinator_context.close()
