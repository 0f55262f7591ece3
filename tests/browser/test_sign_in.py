"""A coordinator signs in with password and TOTP, switches to English and sees their dashboard."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import User
from tests.browser.conftest import assert_accessible
from tests.factories import PASSWORD, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_signs_in_with_totp_switches_to_english_and_sees_dashboard(
    live_server: LiveServer, page: Page, bertil: User
) -> None:
    device = totp_device(bertil)
    page.goto(live_server.url + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Logga in").click()
    assert_accessible(page)
    page.get_by_label("E-postadress").fill(bertil.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()

    expect(page.get_by_role("heading", name="Bekräfta att det är du")).to_be_visible()
    assert_accessible(page)
    code = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    page.get_by_label("Kod").fill(code)
    page.get_by_role("button", name="Fortsätt").click()

    expect(page.get_by_role("heading", name="Det här väntar på dig")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="What waits for you")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Region Örebro County")).to_be_visible()
    assert_accessible(page)
    bertil.refresh_from_db()
    assert bertil.language == "en"


def test_wrong_code_is_explained_next_to_the_field(
    live_server: LiveServer, page: Page, bertil: User
) -> None:
    totp_device(bertil)
    page.goto(live_server.url + "/en/account/login/")
    page.get_by_label("E-mail address").fill(bertil.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("The code is wrong or has expired.")
    assert_accessible(page)
