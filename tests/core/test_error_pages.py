"""Our own error pages, with DEBUG off: the site's layout, the visitor's language, a search box.

This module is also the URL configuration of the 500 test: the site's URLs, a view that fails,
and the site's error handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, path
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from pytest_django import DjangoAssertNumQueries

from studienav import urls as root
from studienav.core import error_pages
from studienav.core.models import User

Patterns = list[URLPattern | URLResolver]
SignIn = Callable[[Client, User], Client]

pytestmark = pytest.mark.django_db

LANGUAGES = [("sv", ""), ("en", "/en")]


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a fault in a view")


urlpatterns: Patterns = [
    *i18n_patterns(path("test-only/fails/", _fails), prefix_default_language=False),
    *cast(Patterns, root.urlpatterns),
]
handler400 = root.handler400
handler403 = root.handler403
handler404 = root.handler404
handler500 = root.handler500


def _assert_our_page(response: Any, *, status: int, language: str, title: str) -> None:
    """Our layout in the visitor's language, the page's own title and a search box."""
    assert response.status_code == status
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert 'class="site-header"' in html
    assert 'role="search"' in html and 'name="q"' in html
    with translation.override(language):
        expected = gettext(title)
    assert f"<h1>{escape(expected)}</h1>" in html
    # Never Django's own wording.
    assert "<h1>Not Found</h1>" not in html and "Forbidden <span>" not in html


@pytest.mark.parametrize(("language", "prefix"), LANGUAGES)
def test_unknown_study_answers_our_not_found_page(
    client: Client, language: str, prefix: str
) -> None:
    response = client.get(f"{prefix}/studies/999999/")
    _assert_our_page(response, status=404, language=language, title="Page not found")


@pytest.mark.parametrize(("language", "prefix"), LANGUAGES)
def test_unknown_address_answers_our_not_found_page(
    client: Client, language: str, prefix: str
) -> None:
    response = client.get(f"{prefix}/no-such-page/")
    _assert_our_page(response, status=404, language=language, title="Page not found")


@pytest.mark.parametrize(("language", "prefix"), LANGUAGES)
def test_researcher_without_a_sponsor_role_gets_our_forbidden_page(
    client: Client, signed_in: SignIn, anna: User, language: str, prefix: str
) -> None:
    signed_in(client, anna)
    response = client.get(f"{prefix}/study-requests/new/")
    _assert_our_page(response, status=403, language=language, title="You do not have access")


@pytest.mark.parametrize(("language", "prefix"), LANGUAGES)
def test_a_foreign_host_header_gets_our_bad_request_page(
    client: Client, language: str, prefix: str
) -> None:
    response = client.get(f"{prefix}/", headers={"host": "attacker.example"})
    _assert_our_page(response, status=400, language=language, title="The request was not valid")


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(("language", "prefix"), LANGUAGES)
def test_a_failing_view_gets_our_server_error_page(language: str, prefix: str) -> None:
    client = Client(raise_request_exception=False)
    response = client.get(f"{prefix}/test-only/fails/")
    _assert_our_page(response, status=500, language=language, title="Something went wrong")
    assert "a fault in a view" not in response.content.decode()


def test_server_error_page_reads_no_database_and_needs_no_signed_in_user(
    rf: RequestFactory, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # A bare request: no session, no user, nothing the middleware would have added.
    request = rf.get("/en/studies/")
    with translation.override("en"), django_assert_num_queries(0):
        response = error_pages.server_error(request)
    assert response.status_code == 500
    assert 'href="/studies/"' in response.content.decode()  # the same page in Swedish


@pytest.mark.parametrize(("language", "prefix"), LANGUAGES)
def test_form_sent_without_its_security_token_gets_our_page(language: str, prefix: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{prefix}/participation/interest/", {"name": "Eva"})
    _assert_our_page(response, status=403, language=language, title="The form could not be sent")


def test_staff_pages_share_the_error_pages(
    client: Client, signed_in: SignIn, anna: User, english: None
) -> None:
    signed_in(client, anna)
    response = client.get("/en/staff/studies/999999/")
    _assert_our_page(response, status=404, language="en", title="Page not found")
