"""Every cookie the site sets follows the same security settings as the session's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from studienav.core.models import User

pytestmark = pytest.mark.django_db
SignIn = Callable[[Client, User], Client]


@override_settings(LANGUAGE_COOKIE_SECURE=True, LANGUAGE_COOKIE_HTTPONLY=True)
def test_the_language_a_profile_chooses_is_kept_in_a_secure_cookie(
    client: Client, bertil: User, signed_in: SignIn
) -> None:
    signed_in(client, bertil)
    response = client.post(
        reverse("core:profile"), {"full_name": "Bertil Ek", "phone": "", "language": "en"}
    )
    assert response.status_code == 302
    cookie = response.cookies["studienav_language"]
    assert cookie.value == "en"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@override_settings(LANGUAGE_COOKIE_SECURE=True, LANGUAGE_COOKIE_HTTPONLY=True)
def test_the_language_switch_sets_a_secure_cookie(client: Client) -> None:
    response = client.post(reverse("core:set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies["studienav_language"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True


def test_the_language_cookie_goes_over_https_whenever_the_session_does() -> None:
    assert settings.LANGUAGE_COOKIE_SECURE == settings.SESSION_COOKIE_SECURE
    assert settings.LANGUAGE_COOKIE_HTTPONLY is True
