"""The public forms, "my registrations" and the coordinator's pages over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from studienav.core.models import AccessLogEntry, User
from studienav.participation.models import ExpressionOfInterest, InterestStatus
from tests.participation.conftest import RegisterFn, StudyMaker

pytestmark = pytest.mark.django_db

SignIn = Callable[[Client, User], Client]


def _form(**overrides: str) -> dict[str, str]:
    from studienav.participation.models import InterestKind
    from studienav.participation.services import consent_text_current

    data = {
        "name": "Eva Lind",
        "email": "eva@test.example",
        "phone": "",
        "year_of_birth": "1970",
        "sex": "female",
        "municipality": "Örebro",
        "conditions": "diabetes, astma",
        "free_text": "",
        "identity_number": "",
        "consent": "on",
        "share_for_referral": "on",
        "notify_new_studies": "on",
        "consent_text": str(consent_text_current(kind=InterestKind.GENERAL, language="sv").pk),
        "website": "",
    }
    data.update(overrides)
    return data


def _links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def test_general_registration_form_saves_and_emails_the_link(
    client: Client, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    response = client.get(reverse("participation:interest_general"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        response = client.post(reverse("participation:interest_general"), _form())
    assert response.status_code == 302
    interest = ExpressionOfInterest.objects.get()
    assert interest.conditions == ["diabetes", "astma"]
    assert interest.region.code == "18"
    assert mail.outbox[-1].to == ["eva@test.example"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("municipality", "Atlantis"),
        ("identity_number", "811218-9875"),
        ("year_of_birth", "1700"),
        ("email", "not-an-address"),
        ("consent", ""),
    ],
)
def test_bad_input_is_explained_next_to_the_field(client: Client, field: str, value: str) -> None:
    response = client.post(reverse("participation:interest_general"), _form(**{field: value}))
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not ExpressionOfInterest.objects.exists()


def test_no_contact_details_is_refused(client: Client) -> None:
    response = client.post(reverse("participation:interest_general"), _form(email="", phone=""))
    assert response.status_code == 422
    assert "email" in response.context["form"].errors


def test_honeypot_filled_in_saves_nothing_and_tells_nothing(client: Client) -> None:
    response = client.post(
        reverse("participation:interest_general"), _form(website="http://spam.example")
    )
    assert response.status_code == 302
    assert not ExpressionOfInterest.objects.exists()
    assert not mail.outbox


@override_settings(PARTICIPATION_RATE_LIMIT=3)
def test_public_form_is_rate_limited_per_client(client: Client) -> None:
    for _ in range(3):
        assert (
            client.post(reverse("participation:interest_general"), _form(name="")).status_code
            == 422
        )
    response = client.post(reverse("participation:interest_general"), _form())
    assert response.status_code == 429
    assert not ExpressionOfInterest.objects.exists()
    other = Client(REMOTE_ADDR="10.0.0.2")
    assert other.post(reverse("participation:interest_general"), _form()).status_code == 302


@pytest.mark.urls("tests.participation.urls")
def test_study_specific_form_only_for_public_recruiting_studies(
    client: Client, make_study: StudyMaker, bertil: User
) -> None:
    draft = make_study("Utkast", state="draft")
    assert client.get(reverse("participation:interest_study", args=[draft.pk])).status_code == 404
    study = make_study("Astmastudien", sites=["1880"])
    url = reverse("participation:interest_study", args=[study.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "Astmastudien" in response.content.decode()
    assert "notify_new_studies" not in response.context["form"].fields
    data = _form()
    data["consent_text"] = str(response.context["consent_text"].pk)
    assert client.post(url, data).status_code == 302
    interest = ExpressionOfInterest.objects.get()
    assert interest.study == study and interest.site is not None
    assert interest.region.code == "18"


def test_coordinator_of_another_region_gets_404(
    client: Client, signed_in: SignIn, register: RegisterFn, ulla: User
) -> None:
    interest = register()  # Örebro
    signed_in(client, ulla)
    url = reverse("participation:person", args=[interest.pk])
    assert client.get(url + "?purpose=follow_up").status_code == 404
    assert (
        client.post(
            reverse("participation:person_contact", args=[interest.pk]), {"channel": "phone"}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("participation:person_send", args=[interest.pk, 1])).status_code == 404
    )
    assert interest.reference not in client.get(reverse("participation:queue")).content.decode()
    assert not AccessLogEntry.objects.exists()


def test_coordinator_gives_a_purpose_before_seeing_the_person(
    client: Client, signed_in: SignIn, register: RegisterFn, bertil: User
) -> None:
    interest = register()
    signed_in(client, bertil)
    queue = client.get(reverse("participation:queue"))
    assert interest.reference in queue.content.decode()
    assert "Eva Lind" not in queue.content.decode()
    first = client.get(reverse("participation:person", args=[interest.pk]))
    assert "Eva Lind" not in first.content.decode()
    assert not AccessLogEntry.objects.exists()
    opened = client.get(reverse("participation:person", args=[interest.pk]) + "?purpose=matching")
    assert "Eva Lind" in opened.content.decode()
    assert "no-store" in opened["Cache-Control"]
    entry = AccessLogEntry.objects.get()
    assert entry.actor_id == bertil.pk and entry.subject_id == str(interest.pk)


def test_contact_form_moves_the_person_on(
    client: Client, signed_in: SignIn, register: RegisterFn, bertil: User
) -> None:
    interest = register()
    signed_in(client, bertil)
    client.post(
        reverse("participation:person_contact", args=[interest.pk]),
        {"channel": "phone", "status": "contacted", "note": "Ringde"},
    )
    interest.refresh_from_db()
    assert interest.status == InterestStatus.CONTACTED


def _sign_in_as_person(client: Client, email: str, capture: Callable[..., object]) -> None:
    mail.outbox.clear()
    with capture(execute=True):  # type: ignore[attr-defined]
        client.post(reverse("participation:my_sign_in"), {"email": email})
    link = _links(str(mail.outbox[-1].body))[0]
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.post("/" + path).status_code == 302


def test_person_signs_in_by_email_link_and_uses_their_rights(
    client: Client,
    register: RegisterFn,
    bertil: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    interest = register()
    from studienav.participation.services import interest_open

    interest_open(interest=interest, by=bertil, purpose="Follow-up of the registration")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        client.post(reverse("participation:my_sign_in"), {"email": "EVA@test.example"})
    token_link = _links(str(mail.outbox[-1].body))[0]
    path = "/" + token_link.split("://", 1)[1].split("/", 1)[1]
    assert client.post(path).status_code == 302
    # One time only.
    assert Client().post(path).status_code == 404

    listing = client.get(reverse("participation:my_list"))
    assert interest.reference in listing.content.decode()
    detail = client.get(reverse("participation:my_detail", args=[interest.pk]))
    page = detail.content.decode()
    assert "Eva Lind" in page and "Bertil Ek" in page
    assert "no-store" in detail["Cache-Control"]

    export = client.get(reverse("participation:my_export", args=[interest.pk]))
    data = json.loads(export.content)
    assert data["email"] == "eva@test.example" and data["access_log"][0]["by"] == "Bertil Ek"

    edit = _form(name="Eva Lindqvist")
    client.post(reverse("participation:my_edit", args=[interest.pk]), edit)
    assert ExpressionOfInterest.objects.get(pk=interest.pk).name == "Eva Lindqvist"

    client.post(reverse("participation:my_delete", args=[interest.pk]))
    assert not ExpressionOfInterest.objects.filter(pk=interest.pk).exists()


def test_signing_in_with_an_unknown_address_sends_nothing_and_says_the_same(client: Client) -> None:
    response = client.post(reverse("participation:my_sign_in"), {"email": "nobody@test.example"})
    assert response.status_code == 200
    assert not mail.outbox


def test_another_persons_registration_is_404(
    client: Client,
    register: RegisterFn,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    mine = register()
    other = register(email="other@test.example")
    _sign_in_as_person(client, "eva@test.example", django_capture_on_commit_callbacks)
    assert client.get(reverse("participation:my_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("participation:my_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("participation:my_export", args=[other.pk])).status_code == 404


def test_withdrawal_link_works_without_signing_in(client: Client, register: RegisterFn) -> None:
    from studienav.participation.tokens import interest_token

    interest = register()
    url = reverse(
        "participation:withdraw", args=[interest_token(purpose="withdraw", interest_id=interest.pk)]
    )
    assert "Eva Lind" not in client.get(url).content.decode()
    client.post(url)
    interest.refresh_from_db()
    assert interest.withdrawn_at is not None and interest.name == ""
    assert client.post(url).status_code == 200


def test_coordinator_dashboard_counts_new_registrations(
    client: Client, signed_in: SignIn, register: RegisterFn, bertil: User
) -> None:
    register()
    from studienav.participation.dashboard import dashboard_panels

    panels = dashboard_panels(bertil)
    assert panels[0]["count"] == 1
    signed_in(client, bertil)
    assert client.get(reverse("core:dashboard")).status_code == 200
