"""The personal answer link: one recipient, one request, expires, logged, answers once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from django.test import Client

from studienav.core.models import AuditEvent, User
from studienav.feasibility import services
from studienav.feasibility.models import Answer, Recipient, RegionPart
from tests.factories import OrganisationFactory

SignIn = Callable[[Client, User], Client]


def _path(recipient: Recipient) -> str:
    return urlparse(services.recipient_link(recipient)).path


def test_link_opens_the_form_without_sign_in_and_is_logged(
    client: Client, asked: list[Recipient]
) -> None:
    response = client.get(_path(asked[1]))
    assert response.status_code == 200
    assert "X-123" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="feasibility.recipient.link_open")
    assert event.object_id == str(asked[1].pk)


def test_link_answers_once(client: Client, asked: list[Recipient]) -> None:
    path = _path(asked[1])
    answer = {"is_interested": "no", "decline_reason": "no_patients", "comment": "Few patients"}
    assert client.post(path, answer).status_code == 200
    saved = Answer.objects.get(recipient=asked[1])
    assert saved.decline_reason == "no_patients"
    assert saved.channel == "link"
    again = client.post(path, {"is_interested": "yes"})
    assert again.status_code == 200
    assert Answer.objects.count() == 1
    assert Answer.objects.get().is_interested is False


def test_link_expires(client: Client, asked: list[Recipient], time_machine: Any) -> None:
    path = _path(asked[1])
    time_machine.shift(services.LINK_MAX_AGE + timedelta(minutes=1))
    assert client.get(path).status_code == 404
    assert not AuditEvent.objects.filter(action="feasibility.recipient.link_open").exists()


def test_another_recipients_link_does_not_open_mine(client: Client, asked: list[Recipient]) -> None:
    anna_link, clinic_link = _path(asked[0]), _path(asked[1])
    token = clinic_link.rstrip("/").rsplit("/", 1)[1]
    forged = token.replace(f"{asked[1].pk}:", f"{asked[0].pk}:", 1)
    assert forged != token
    assert client.get(clinic_link.replace(token, forged)).status_code == 404
    # Each link opens its own recipient's form and answers only for them.
    client.post(clinic_link, {"is_interested": "yes", "eligible_patients_per_year": "5"})
    assert Answer.objects.get().recipient == asked[1]
    assert client.get(anna_link).status_code == 200


def test_changed_nonce_revokes_the_link(client: Client, asked: list[Recipient]) -> None:
    path = _path(asked[1])
    asked[1].link_nonce = "0" * 32
    asked[1].save(update_fields=["link_nonce"])
    assert client.get(path).status_code == 404


def test_garbage_token_is_a_404(client: Client, db: None) -> None:
    assert client.get("/study-requests/answer/not-a-token/").status_code == 404


# --- a forwarded link: who really answered ----------------------------------------------


def test_answer_through_a_link_records_the_signed_in_person_as_the_actor(
    client: Client, signed_in: SignIn, asked: list[Recipient], bertil: User
) -> None:
    signed_in(client, bertil)
    answer = {"is_interested": "yes", "eligible_patients_per_year": "5"}
    assert client.post(_path(asked[1]), answer).status_code == 200
    event = AuditEvent.objects.get(action="feasibility.answer.submit")
    assert event.actor == bertil
    assert event.changes["link_recipient"] == {
        "id": asked[1].pk,
        "name": "Kardiologkliniken",
        "email": "kardio@test.example",
    }
    assert Answer.objects.get().answered_by == bertil


def test_opening_a_link_signed_in_records_that_person(
    client: Client, signed_in: SignIn, asked: list[Recipient], bertil: User
) -> None:
    signed_in(client, bertil)
    client.get(_path(asked[1]))
    event = AuditEvent.objects.get(action="feasibility.recipient.link_open")
    assert event.actor == bertil
    assert event.changes["link_recipient"]["email"] == "kardio@test.example"


def test_anonymous_answer_through_a_link_has_no_actor_as_before(
    client: Client, asked: list[Recipient]
) -> None:
    client.post(_path(asked[1]), {"is_interested": "yes"})
    event = AuditEvent.objects.get(action="feasibility.answer.submit")
    assert event.actor is None
    assert Answer.objects.get().answered_by is None


def test_the_recipient_signed_in_answers_as_themselves(
    client: Client, signed_in: SignIn, asked: list[Recipient], anna: User
) -> None:
    signed_in(client, anna)
    client.post(_path(asked[0]), {"is_interested": "yes"})
    event = AuditEvent.objects.get(action="feasibility.answer.submit")
    assert event.actor == anna
    assert event.changes["link_recipient"]["id"] == asked[0].pk


def test_answer_page_names_the_recipient_and_their_clinic(
    client: Client, forwarded: RegionPart, ulla: User
) -> None:
    clinic = OrganisationFactory.create(name="Akademiska sjukhuset, Kardiologi")
    (recipient,) = services.recipients_select(
        by=ulla,
        part=forwarded,
        choices=[
            services.RecipientChoice(
                name="Kerstin Lund", email="kerstin@test.example", organisation=clinic
            )
        ],
    )
    page = client.get(_path(recipient)).content.decode()
    assert "Den här länken skickades till Kerstin Lund (Akademiska sjukhuset, Kardiologi)." in page
    assert "Om du inte är Kerstin Lund ska du inte svara här" in page
    assert "ulla@test.example" in page


def test_answer_page_without_a_clinic_names_the_recipient(
    client: Client, asked: list[Recipient]
) -> None:
    page = client.get(_path(asked[1])).content.decode()
    assert "Den här länken skickades till Kardiologkliniken." in page
