"""Node office's call pages, the reviewers' list and the dashboard panels, with the wrong person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from studienav.core.models import User
from studienav.funding.dashboard import dashboard_panels
from studienav.funding.models import Application, Call
from tests.funding.conftest import call_data

pytestmark = pytest.mark.django_db

SignIn = Callable[[Client, User], Client]


def _form(**overrides: Any) -> dict[str, Any]:
    data = call_data(**overrides)
    form = {
        k: v for k, v in data.items() if k not in ("sections", "criteria", "required_documents")
    }
    form["closes_at"] = "2026-12-15T15:00"
    form["criteria"] = "quality | Kvalitet | Quality"
    form["required_documents"] = "cv | CV | CV"
    form["sections"] = ""
    return form


def test_node_office_creates_a_call_through_the_form(
    client: Client, signed_in: SignIn, cecilia: User
) -> None:
    signed_in(client, cecilia)
    response = client.post(reverse("funding:call_new"), _form())
    assert response.status_code == 302
    call = Call.objects.get()
    assert call.criteria == [{"key": "quality", "title_sv": "Kvalitet", "title_en": "Quality"}]


def test_call_form_names_a_bad_criteria_line(
    client: Client, signed_in: SignIn, cecilia: User, english: None
) -> None:
    signed_in(client, cecilia)
    form = _form()
    form["criteria"] = "quality only"
    response = client.post(reverse("funding:call_new"), form)
    assert response.status_code == 422
    assert b"Line 1: write key | Swedish title | English title." in response.content


def test_researcher_cannot_create_calls(client: Client, signed_in: SignIn, anna: User) -> None:
    signed_in(client, anna)
    assert client.get(reverse("funding:call_new")).status_code == 403
    assert client.post(reverse("funding:call_new"), _form()).status_code == 403


def test_researcher_cannot_reach_the_committee_pages(
    client: Client, signed_in: SignIn, anna: User, open_call: Call
) -> None:
    signed_in(client, anna)
    for url in (
        reverse("funding:reviews"),
        reverse("funding:assign_list", args=[open_call.reference]),
        reverse("funding:committee", args=[open_call.reference]),
        reverse("funding:figures"),
    ):
        assert client.get(url).status_code == 403, url


def test_reviewer_outside_the_call_cannot_see_its_committee(
    client: Client, signed_in: SignIn, rolf: User, open_call: Call
) -> None:
    signed_in(client, rolf)
    assert client.get(reverse("funding:committee", args=[open_call.reference])).status_code == 404


def test_signed_out_person_is_sent_to_sign_in(client: Client, open_call: Call) -> None:
    response = client.get(reverse("funding:apply", args=[open_call.reference]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_dashboard_panels_for_chair_reviewer_and_applicant(
    in_review: Application, kim: User, rita: User, anna: User
) -> None:
    assert [p["count"] for p in dashboard_panels(kim)] == [1]
    assert [p["count"] for p in dashboard_panels(rita)] == [1]
    assert dashboard_panels(anna) == []
