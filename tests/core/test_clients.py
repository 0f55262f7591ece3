"""The client's address behind the node's own proxies, as rate limits and the lockout see it."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from studienav.core.clients import client_address
from studienav.core.models import User

PROXY = "10.0.0.5"
EVA = "198.51.100.23"


def _address(forwarded: str | None = None, remote: str = PROXY) -> str:
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(request)


@override_settings(TRUSTED_PROXY_HOPS=0)
def test_without_trusted_proxies_the_connection_is_the_client() -> None:
    assert _address(f"203.0.113.9, {EVA}") == PROXY


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_behind_one_proxy_the_client_is_what_the_proxy_added() -> None:
    assert _address(EVA) == EVA


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_a_forged_leftmost_entry_does_not_change_the_client() -> None:
    assert _address(f"203.0.113.9, {EVA}") == EVA


@override_settings(TRUSTED_PROXY_HOPS=2)
def test_behind_two_proxies_the_client_is_second_from_the_right() -> None:
    assert _address(f"203.0.113.9,{EVA}, 10.0.0.4") == EVA


@override_settings(TRUSTED_PROXY_HOPS=2)
def test_a_request_that_passed_fewer_proxies_counts_as_its_connection() -> None:
    assert _address(EVA) == PROXY
    assert _address(None) == PROXY


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_a_forwarded_entry_that_is_no_address_counts_as_the_connection() -> None:
    assert _address("unknown") == PROXY
    assert _address(f"{EVA}:51234") == EVA
    assert _address("[2001:db8::1]:443") == "2001:db8::1"


@override_settings(TRUSTED_PROXY_HOPS=1)
@given(forged=st.lists(st.text(max_size=20), max_size=5))
def test_nothing_a_client_puts_in_front_changes_who_it_is(forged: list[str]) -> None:
    assert _address(", ".join([*forged, EVA])) == EVA


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_HOPS=1)
def test_a_failed_sign_in_is_recorded_with_the_address_behind_the_proxy(
    client: Client, bertil: User
) -> None:
    client.post(
        reverse("core:login"),
        {"username": bertil.email, "password": "wrong-password-x"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"203.0.113.9, {EVA}",
    )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [EVA]
