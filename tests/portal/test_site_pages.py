"""The site's own pages (for sponsors and researchers, about the node, privacy, accessibility)
and the navigation that reaches them from every public page, in Swedish and English."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from studienav.core.models import Region
from studienav.core.selectors import current_node, node_regions

pytestmark = pytest.mark.django_db

LANGUAGES = ["sv", "en"]

# Each page: its URL name and its title (a msgid; the about page names the node).
PAGES = [
    ("portal:sponsors", "For sponsors and researchers"),
    ("portal:about", "About %(node)s"),
    ("portal:privacy", "Privacy notice"),
    ("portal:accessibility", "Accessibility statement"),
]

# Where the navigation leads, on every page.
DESTINATIONS = [
    "portal:results",
    "participation:interest_general",
    "stats:statistics",
    "portal:sponsors",
    "portal:about",
    "portal:privacy",
    "portal:accessibility",
]


class _NavLinks(HTMLParser):
    """The links inside <nav> elements: (href, aria-current or "")."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav":
            self.depth += 1
        elif tag == "a" and self.depth:
            found = dict(attrs)
            self.links.append((found.get("href") or "", found.get("aria-current") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.depth -= 1


def nav_links(html: str) -> list[tuple[str, str]]:
    parser = _NavLinks()
    parser.feed(html)
    return parser.links


def _get(client: Client, name: str, language: str) -> tuple[str, str]:
    with translation.override(language):
        url = reverse(name)
    response = client.get(url)
    assert response.status_code == 200, url
    return url, response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "title"), PAGES)
def test_page_answers_in_the_language_of_its_address_with_its_title(
    client: Client, name: str, title: str, language: str
) -> None:
    _, html = _get(client, name, language)
    node = current_node()
    assert node is not None
    with translation.override(language):
        text = gettext(title)
    expected = escape(text % {"node": node.name} if "%(node)s" in title else text)
    assert f'<html lang="{language}">' in html
    assert f"<title>{expected} · studienav</title>" in html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "title"), PAGES)
def test_page_is_the_current_one_in_the_navigation(
    client: Client, name: str, title: str, language: str
) -> None:
    url, html = _get(client, name, language)
    assert (url, "page") in nav_links(html)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "name",
    ["portal:home", "portal:results", "participation:interest_general", "stats:statistics"],
)
def test_every_public_page_leads_to_every_part_of_the_site(
    client: Client, name: str, language: str
) -> None:
    _, html = _get(client, name, language)
    hrefs = {href for href, _ in nav_links(html)}
    with translation.override(language):
        wanted = {reverse(destination) for destination in DESTINATIONS}
    assert wanted <= hrefs


def test_about_page_lists_the_node_regions_from_the_database(client: Client) -> None:
    _, html = _get(client, "portal:about", "sv")
    regions = list(node_regions())
    assert len(regions) == 7
    for region in regions:
        assert escape(region.name) in html
        assert f"region={region.code}" in html
    assert "Region Stockholm" not in html


@override_settings(REGION_CONTACTS={"18": "kliniska.studier@orebro.example"})
def test_about_page_gives_a_region_its_configured_contact_address(client: Client) -> None:
    _, html = _get(client, "portal:about", "en")
    assert 'href="mailto:kliniska.studier@orebro.example"' in html


@override_settings(REGION_CONTACTS={}, CONTACT_EMAIL="")
def test_about_page_names_no_address_that_was_not_configured(client: Client) -> None:
    _, html = _get(client, "portal:about", "en")
    assert "mailto:" not in html


@override_settings(CONTACT_EMAIL="nodkansli@example.se")
def test_about_page_gives_the_node_office_address(client: Client) -> None:
    _, html = _get(client, "portal:about", "sv")
    assert 'href="mailto:nodkansli@example.se"' in html


def test_sponsors_page_links_to_the_study_request_form(client: Client) -> None:
    _, html = _get(client, "portal:sponsors", "en")
    with translation.override("en"):
        assert f'href="{reverse("feasibility:submit")}"' in html


@override_settings(CONTACT_EMAIL="nodkansli@example.se")
def test_sponsors_page_says_whom_to_ask_for_an_account(client: Client) -> None:
    _, html = _get(client, "portal:sponsors", "sv")
    assert 'href="mailto:nodkansli@example.se"' in html


def test_privacy_notice_links_to_the_pages_where_people_use_their_rights(client: Client) -> None:
    _, html = _get(client, "portal:privacy", "en")
    with translation.override("en"):
        assert f'href="{reverse("participation:my_sign_in")}"' in html


@override_settings(DATA_PROTECTION_OFFICER_EMAIL="dataskyddsombud@region.example")
def test_privacy_notice_gives_the_data_protection_officer(client: Client) -> None:
    _, html = _get(client, "portal:privacy", "sv")
    assert 'href="mailto:dataskyddsombud@region.example"' in html


@override_settings(PARTICIPATION_RETENTION_MONTHS=18)
def test_privacy_notice_states_the_retention_the_site_applies(client: Client) -> None:
    _, html = _get(client, "portal:privacy", "en")
    assert "18 months" in html


@override_settings(SITE_OWNER="Region Örebro län")
def test_privacy_notice_names_the_controller(client: Client) -> None:
    _, html = _get(client, "portal:privacy", "sv")
    assert "Region Örebro län" in html


def test_accessibility_statement_links_to_the_supervisory_authority(client: Client) -> None:
    _, html = _get(client, "portal:accessibility", "sv")
    assert 'href="https://www.digg.se/tdosanmalan"' in html


def test_accessibility_statement_states_its_compliance(client: Client) -> None:
    _, html = _get(client, "portal:accessibility", "en")
    assert "partially compliant" in html
    assert "WCAG 2.1" in html


@override_settings(CONTACT_EMAIL="nodkansli@example.se")
def test_accessibility_statement_says_how_to_report_a_problem(client: Client) -> None:
    _, html = _get(client, "portal:accessibility", "sv")
    assert 'href="mailto:nodkansli@example.se"' in html


def test_about_page_shows_region_names_in_english_on_english_pages(
    client: Client, orebro: Region
) -> None:
    _, html = _get(client, "portal:about", "en")
    assert escape(orebro.name_en) in html
