"""Request bodies have a limit: an oversized form or upload is refused before it is read,
with a message that says so, never a server error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from studienav.core.models import User

pytestmark = pytest.mark.django_db
SignIn = Callable[[Client, User], Client]


@pytest.mark.usefixtures("english")
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_public_form_is_refused_with_a_message() -> None:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    url = reverse("participation:interest_general")
    client.get(url)  # the form, and its security cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        url,
        f"csrfmiddlewaretoken={token}&message=" + "a" * 5000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()


@pytest.mark.usefixtures("english")
@override_settings(UPLOAD_MAX_BYTES=10_000)
def test_an_oversized_upload_is_refused_before_it_is_read(
    client: Client, cecilia: User, signed_in: SignIn
) -> None:
    signed_in(client, cecilia)
    upload = SimpleUploadedFile("studies.json", b"[" + b" " * 20_000 + b"]")
    response = client.post(reverse("registry:import"), {"file": upload, "format": "auto"})
    assert response.status_code == 413
    text = response.content.decode()
    assert "too large" in text


@override_settings(UPLOAD_MAX_BYTES=10_000)
def test_an_upload_within_the_limit_reaches_the_form(
    client: Client, cecilia: User, signed_in: SignIn
) -> None:
    signed_in(client, cecilia)
    upload = SimpleUploadedFile("studies.exe", b"MZ")
    response = client.post(reverse("registry:import"), {"file": upload, "format": "auto"})
    assert response.status_code == 422
