"""Staff sign in with the region's identity provider in Chromium, against the tests' provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.models import User
from tests.browser.conftest import assert_accessible
from tests.core.oidc_provider import LocalProvider, ProviderServer, sign_in_enabled
from tests.factories import totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider() -> Iterator[LocalProvider]:
    with ProviderServer() as running, sign_in_enabled(running):
        yield running


def test_coordinator_signs_in_with_the_regions_provider_without_a_totp_code(
    live_server: LiveServer, page: Page, provider: LocalProvider, bertil: User
) -> None:
    totp_device(bertil)
    provider.sign_in_as(bertil.email)
    page.goto(live_server.url + "/en/account/login/")
    assert_accessible(page)
    page.get_by_role("link", name="Sign in with Region Uppsala").click()

    expect(page.get_by_role("heading", name="What waits for you")).to_be_visible()
    assert_accessible(page)


def test_person_without_an_account_is_told_why_on_the_sign_in_page(
    live_server: LiveServer, page: Page, provider: LocalProvider
) -> None:
    provider.sign_in_as("stranger@region.example")
    page.goto(live_server.url + "/en/account/login/")
    page.get_by_role("link", name="Sign in with Region Uppsala").click()

    expect(page.get_by_text("no account here has that e-mail address")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert_accessible(page)


def test_sign_in_page_with_the_provider_fits_a_phone(
    live_server: LiveServer, page: Page, provider: LocalProvider
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/en/account/login/")
    button = page.get_by_role("link", name="Sign in with Region Uppsala")
    expect(button).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
