"""A first-time visitor on a phone finds every part of the site through the navigation; each
page passes axe, fits the screen, and the menu works without scripts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from studienav.core.selectors import current_node
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE: ViewportSize = {"width": 390, "height": 844}

# (the menu's name, the link's name, the heading of the page it opens): msgids.
ROUTE = [
    ("Main menu", "For sponsors and researchers", "For sponsors and researchers"),
    ("Main menu", "About the node", "About %(node)s"),
    ("About this site", "Privacy notice", "Privacy notice"),
    ("About this site", "Accessibility statement", "Accessibility statement"),
]


def _words(language: str, msgid: str) -> str:
    """The words the page shows (the catalogue may lag behind new strings)."""
    node = current_node()
    with translation.override(language):
        text = gettext(msgid)
    return text % {"node": node.name if node else ""} if "%(node)s" in msgid else text


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize(("language", "prefix"), [("sv", ""), ("en", "/en")])
def test_visitor_on_a_phone_reaches_each_page_from_the_navigation(
    live_server: LiveServer, page: Page, language: str, prefix: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + prefix + "/")
    assert_accessible(page)
    _fits_the_phone(page)
    for menu, link, heading in ROUTE:
        navigation = page.get_by_role("navigation", name=_words(language, menu))
        navigation.get_by_role("link", name=_words(language, link), exact=True).click()
        expect(page.get_by_role("heading", level=1, name=_words(language, heading))).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_accessible(page)
        _fits_the_phone(page)


@pytest.fixture
def page_without_scripts(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="sv-SE", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_menu_works_on_a_phone_without_scripts(
    live_server: LiveServer, page_without_scripts: Page
) -> None:
    page = page_without_scripts
    page.goto(live_server.url + "/en/")
    menu = page.get_by_role("navigation", name="Main menu")
    for name in ["Studies", "Register your interest", "Statistics", "About the node"]:
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    menu.get_by_role("link", name="For sponsors and researchers", exact=True).click()
    expect(page).to_have_url(live_server.url + "/en/sponsors-and-researchers/")
    expect(page.get_by_role("heading", level=1)).to_have_text("For sponsors and researchers")
