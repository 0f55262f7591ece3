"""Staff sign-in through the region's identity provider, against a provider the tests start.

The browser's part (to the provider and back) is played by the test: the site's part (the
code exchanged for tokens, the provider's keys and user info) is real HTTP to the provider.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.test import Client
from django.urls import reverse

from studienav.core.models import AuditEvent, Role, RoleAssignment, User
from tests.core.oidc_provider import LocalProvider, ProviderServer, sign_in_enabled
from tests.factories import PASSWORD, RoleFactory, UserFactory, totp_device

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("core:dashboard")
EN_LOGIN = "/en/account/login/"


@pytest.fixture(scope="module")
def running_provider() -> Iterator[LocalProvider]:
    with ProviderServer() as provider:
        yield provider


@pytest.fixture
def provider(running_provider: LocalProvider) -> Iterator[LocalProvider]:
    """The region's identity provider, turned on for the site."""
    running_provider.reset()
    with sign_in_enabled(running_provider):
        yield running_provider


def _through_provider(client: Client, *, login_page: str = "/account/login/") -> Any:
    """Click the provider's button on the sign-in page, sign in there, and come back."""
    page = client.get(login_page).content.decode()
    button = re.search(r'href="(/oidc/authenticate/[^"]*)"', page)
    assert button is not None, "the sign-in page offers the provider"
    start = client.get(html.unescape(button.group(1)))
    assert start.status_code == 302
    # The browser at the provider: it sends the browser back with a code (or an error).
    at_provider = httpx.get(start["Location"], follow_redirects=False)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["location"])
    return client.get(f"{back.path}?{back.query}")


def _refused_in_english(client: Client, response: Any) -> str:
    """The English sign-in page the refusal lands on, as text; nobody is signed in."""
    assert response.status_code == 302
    assert response["Location"].startswith("/en/account/login/")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def test_sign_in_with_a_provider_is_off_by_default(client: Client) -> None:
    assert settings.OIDC_ENABLED is False
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    assert "oidc" not in client.get(reverse("core:login")).content.decode()


def test_login_page_offers_the_regions_provider(client: Client, provider: LocalProvider) -> None:
    page = client.get("/en/account/login/?next=/en/staff/people/").content.decode()
    assert "Sign in with Region Uppsala" in page
    assert 'href="/oidc/authenticate/?next=/en/staff/people/"' in page


def test_staff_signs_in_through_the_provider_without_being_asked_for_totp(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    totp_device(bertil)
    provider.sign_in_as("Bertil@Test.Example")
    response = _through_provider(client)
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert client.session["_auth_user_id"] == str(bertil.pk)
    assert client.get(DASHBOARD).status_code == 200
    assert provider.calls == ["/token", "/jwks", "/userinfo"]


def test_the_page_asked_for_before_sign_in_follows(
    client: Client, provider: LocalProvider, cecilia: User
) -> None:
    provider.sign_in_as(cecilia.email)
    response = _through_provider(client, login_page="/account/login/?next=/staff/people/")
    assert response["Location"] == "/staff/people/"


def test_password_sign_in_still_asks_for_totp_with_the_provider_turned_on(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    totp_device(bertil)
    client.post(reverse("core:login"), {"username": bertil.email, "password": PASSWORD})
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:otp_verify"))


def test_password_lockout_still_counts_with_the_provider_turned_on(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    for _ in range(5):
        client.post(reverse("core:login"), {"username": bertil.email, "password": "wrong-x-1234"})
    response = client.post(reverse("core:login"), {"username": bertil.email, "password": PASSWORD})
    assert response.status_code == 429


def test_provider_may_ask_the_site_for_totp_as_well(
    client: Client, running_provider: LocalProvider, bertil: User
) -> None:
    running_provider.reset()
    totp_device(bertil)
    running_provider.sign_in_as(bertil.email)
    with sign_in_enabled(running_provider, OIDC_PROVIDER_SECOND_FACTOR=False):
        _through_provider(client)
        response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:otp_verify"))


def test_sign_in_grants_no_role_and_keeps_those_granted_here(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    before = list(RoleAssignment.objects.filter(user=bertil).values("role", "region"))
    provider.sign_in_as(bertil.email)
    provider.person["roles"] = [Role.NODE_OFFICE, Role.ADMINISTRATOR]
    provider.person["groups"] = ["admins"]
    _through_provider(client)
    bertil.refresh_from_db()
    assert list(RoleAssignment.objects.filter(user=bertil).values("role", "region")) == before
    assert not bertil.is_superuser
    assert not bertil.is_staff


def test_sign_in_is_written_to_the_audit_trail(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    provider.sign_in_as(bertil.email)
    _through_provider(client)
    event = AuditEvent.objects.get(action="user.sign_in")
    assert event.actor == bertil
    assert event.object_id == str(bertil.pk)
    assert event.changes["method"] == [None, "openid_connect"]
    assert event.changes["issuer"] == [None, provider.issuer]
    assert event.changes["second_factor"] == [None, "identity provider"]
    assert event.request_id
    assert event.reason == "Region Uppsala"


def test_sign_in_is_in_the_sign_in_log_like_a_password_one(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    provider.sign_in_as(bertil.email)
    _through_provider(client)
    assert AccessLog.objects.filter(username=bertil.email, path_info="/oidc/callback/").exists()


def test_unknown_address_is_refused_and_no_account_is_made(
    client: Client, provider: LocalProvider
) -> None:
    provider.sign_in_as("stranger@region.example")
    page = _refused_in_english(client, _through_provider(client, login_page=EN_LOGIN))
    assert "no account here has that e-mail address" in page
    assert not User.objects.filter(email="stranger@region.example").exists()


def test_unknown_address_gets_an_account_without_roles_when_allowed(
    client: Client, running_provider: LocalProvider
) -> None:
    running_provider.reset()
    running_provider.sign_in_as("new.person@region.example", name="Nina Nyberg")
    with sign_in_enabled(running_provider, OIDC_CREATE_USER=True):
        response = _through_provider(client)
        assert response.status_code == 302
        user = User.objects.get(email="new.person@region.example")
        assert user.full_name == "Nina Nyberg"
        assert not user.has_usable_password()
        assert not user.roles.exists()
        # Signed in, but the staff pages wait for a role granted here.
        assert client.get(DASHBOARD).status_code == 403
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_inactive_account_is_refused(client: Client, provider: LocalProvider, bertil: User) -> None:
    User.objects.filter(pk=bertil.pk).update(is_active=False)
    provider.sign_in_as(bertil.email)
    page = _refused_in_english(client, _through_provider(client, login_page=EN_LOGIN))
    assert "no account here has that e-mail address" in page


def test_address_the_provider_did_not_verify_is_refused(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    provider.sign_in_as(bertil.email, verified=False)
    page = _refused_in_english(client, _through_provider(client, login_page=EN_LOGIN))
    assert "did not confirm your e-mail address" in page


def test_a_directorys_own_address_claim_may_name_the_account(
    client: Client, running_provider: LocalProvider, bertil: User
) -> None:
    running_provider.reset()
    running_provider.sign_in_as("bertil.ek@regionorebrolan.example", verified=False)
    running_provider.person["upn"] = bertil.email
    changes = {"OIDC_EMAIL_CLAIM": "upn", "OIDC_REQUIRE_VERIFIED_EMAIL": False}
    with sign_in_enabled(running_provider, **changes):
        response = _through_provider(client)
    assert response["Location"] == DASHBOARD
    assert client.session["_auth_user_id"] == str(bertil.pk)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"aud": "another-site"}, id="wrong-audience"),
        pytest.param({"aud": ["another-site", "studienav-test"]}, id="shared-audience-no-azp"),
        pytest.param({"iss": "http://127.0.0.1:1"}, id="wrong-issuer"),
        pytest.param({"exp": int(time.time()) - 60}, id="expired"),
        pytest.param({"exp": None}, id="no-expiry"),
        pytest.param({"nonce": "not-the-sign-ins-nonce"}, id="wrong-nonce"),
        pytest.param({"nonce": None}, id="no-nonce"),
    ],
)
def test_id_token_not_meant_for_this_sign_in_is_refused(
    client: Client, provider: LocalProvider, bertil: User, changes: dict[str, Any]
) -> None:
    provider.sign_in_as(bertil.email)
    provider.id_token_changes = changes
    page = _refused_in_english(client, _through_provider(client, login_page=EN_LOGIN))
    assert "could not be verified" in page
    assert not AuditEvent.objects.filter(action="user.sign_in").exists()


def test_id_token_signed_with_another_key_is_refused(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    provider.sign_in_as(bertil.email)
    provider.sign_with_stranger_key = True
    page = _refused_in_english(client, _through_provider(client, login_page=EN_LOGIN))
    assert "could not be verified" in page


def test_provider_refusing_the_person_lands_on_the_sign_in_page(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    provider.sign_in_as(bertil.email)
    provider.refuse_with = "access_denied"
    page = _refused_in_english(client, _through_provider(client, login_page=EN_LOGIN))
    assert "Region Uppsala did not sign you in" in page


def test_provider_in_trouble_lands_on_the_sign_in_page(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    provider.sign_in_as(bertil.email)
    provider.token_status = 503
    page = _refused_in_english(client, _through_provider(client, login_page=EN_LOGIN))
    assert "Region Uppsala did not answer" in page


def test_provider_out_of_reach_lands_on_the_sign_in_page(
    client: Client, running_provider: LocalProvider, bertil: User
) -> None:
    running_provider.reset()
    running_provider.sign_in_as(bertil.email)
    # A port nobody listens on: the site's call to the provider fails to connect.
    with sign_in_enabled(running_provider, OIDC_OP_TOKEN_ENDPOINT="http://127.0.0.1:9/token"):
        page = _refused_in_english(client, _through_provider(client, login_page=EN_LOGIN))
    assert "Region Uppsala did not answer" in page


def test_callback_with_a_state_this_browser_did_not_start_is_refused(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    provider.sign_in_as(bertil.email)
    client.get("/oidc/authenticate/?next=/en/staff/")
    response = client.get("/oidc/callback/?code=forged&state=forged")
    page = _refused_in_english(client, response)
    assert "started in another window" in page
    assert provider.calls == []


def test_callback_without_a_sign_in_started_is_refused(
    client: Client, provider: LocalProvider
) -> None:
    response = client.get("/oidc/callback/?code=forged&state=forged")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:login")
    assert "message-error" in client.get(response["Location"]).content.decode()


def test_the_same_answer_cannot_sign_in_twice(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    provider.sign_in_as(bertil.email)
    start = client.get(reverse("oidc_authentication_init"))
    back = urlsplit(httpx.get(start["Location"], follow_redirects=False).headers["location"])
    callback = f"{back.path}?{back.query}"
    assert client.get(callback)["Location"] == DASHBOARD
    client.logout()
    client.get(reverse("oidc_authentication_init"))
    replayed = client.get(callback)
    assert replayed["Location"] == reverse("core:login")
    assert "_auth_user_id" not in client.session


def test_refused_sign_ins_do_not_lock_anyone_out(
    client: Client, provider: LocalProvider, bertil: User
) -> None:
    provider.sign_in_as("stranger@region.example")
    for _ in range(6):
        _through_provider(client)
    assert not AccessAttempt.objects.exists()
    provider.sign_in_as(bertil.email)
    assert _through_provider(client)["Location"] == DASHBOARD


def test_password_accounts_sign_in_as_before(client: Client, provider: LocalProvider) -> None:
    person = UserFactory.create(email="per@test.example")
    RoleFactory.create(user=person, role=Role.NODE_OFFICE)
    response = client.post(reverse("core:login"), {"username": person.email, "password": PASSWORD})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="user.sign_in").exists()


def test_turning_it_on_without_the_providers_details_stops_the_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}
    env.update(DEBUG="1", STUDIENAV_VAR_DIR=str(tmp_path), OIDC_ENABLED="1")
    script = "from django.conf import settings; print(settings.OIDC_ENABLED)"
    done = subprocess.run(
        [sys.executable, "-m", "studienav", "shell", "--no-imports", "-c", script],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "OIDC_ENABLED needs OIDC_PROVIDER_NAME" in done.stderr
