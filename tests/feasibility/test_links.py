"""The personal answer link: one recipient, one request, expires, logged, answers once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from django.test import Client

from studienav.core.models import AuditEvent
from studienav.feasibility import services
from studienav.feasibility.models import Answer, Recipient


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
