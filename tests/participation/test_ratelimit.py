"""The public forms' limit counts each person behind the node's proxy, not the proxy."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from studienav.participation.models import ExpressionOfInterest
from tests.participation.test_views import _form

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


def _post(client: Client, person: str, **overrides: str) -> int:
    response = client.post(
        reverse("participation:interest_general"),
        _form(**overrides),
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=person,
    )
    return response.status_code


@override_settings(PARTICIPATION_RATE_LIMIT=2, TRUSTED_PROXY_HOPS=1)
def test_one_person_over_the_limit_does_not_block_the_form_for_everyone(client: Client) -> None:
    for _ in range(2):
        assert _post(client, "198.51.100.23", name="") == 422
    assert _post(client, "198.51.100.23") == 429
    assert _post(client, "192.0.2.40") == 302
    assert ExpressionOfInterest.objects.count() == 1


@override_settings(PARTICIPATION_RATE_LIMIT=2, TRUSTED_PROXY_HOPS=1)
def test_a_forged_forwarded_address_does_not_reset_the_count(client: Client) -> None:
    for n in range(2):
        assert _post(client, f"203.0.113.{n}, 198.51.100.23", name="") == 422
    assert _post(client, "203.0.113.99, 198.51.100.23") == 429
    assert not ExpressionOfInterest.objects.exists()
