"""The e-mail outbox: written with the change that causes it, delivered by a job, retried with
backoff until a real SMTP server takes it, never lost; node office sees what is stuck."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.core import mail
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from studienav.core import services
from studienav.core.errors import PermissionDenied
from studienav.core.models import AuditEvent, OutboxMessage, Role, User
from studienav.core.outbox import (
    backoff,
    outbox_deliver,
    outbox_enqueue,
    outbox_purge_sent,
    outbox_retry,
    outbox_stuck,
)

pytestmark = pytest.mark.django_db

EVA = "eva.persson@test.example"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _smtp_settings(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=10,
        EMAIL_OUTBOX_DELIVER_ON_COMMIT=False,
    )


class RefusesFirst:
    """A mail server that answers 451 (try again later) to the first message, then accepts."""

    def __init__(self, refusals: int = 1) -> None:
        self.refusals = refusals
        self.received: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refusals > 0:
            self.refusals -= 1
            return "451 4.3.0 Mail server busy, try again later"
        self.received.append(envelope)
        return "250 2.0.0 OK"


class RejectsRecipient:
    """A mail server that names the recipient when it turns it away, as many do."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        return f"450 4.2.1 <{address}>: Recipient address rejected: mailbox busy"


@pytest.fixture
def smtp_server() -> Iterator[Callable[[Any], int]]:
    """Start a local SMTP server with a handler; returns its port. Stopped after the test."""
    started: list[Controller] = []

    def start(handler: Any, port: int | None = None) -> int:
        controller = Controller(handler, hostname="127.0.0.1", port=port or _free_port())
        controller.start()
        started.append(controller)
        return int(controller.port)

    yield start
    for controller in started:
        controller.stop()


def _enqueue(to: str = EVA, subject: str = "Bekräfta din intresseanmälan") -> OutboxMessage:
    return outbox_enqueue(to=to, subject=subject, body="Hej Eva, klicka här …", language="sv")


def test_an_invitation_is_written_to_the_outbox_and_sent_after_the_commit(
    cecilia: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.user_invite(
            by=cecilia, email="greta@test.example", full_name="Greta", role=Role.RESEARCHER
        )
    assert [m.to for m in mail.outbox] == [["greta@test.example"]]
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None
    assert message.attempts == 1
    assert message.next_attempt_at is None


def test_a_rolled_back_change_sends_nothing(
    cecilia: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.user_invite(
            by=cecilia, email="greta@test.example", full_name="Greta", role=Role.RESEARCHER
        )
        transaction.set_rollback(True)
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_address_subject_and_text_are_encrypted_at_rest() -> None:
    with override_settings(EMAIL_OUTBOX_DELIVER_ON_COMMIT=False):
        message = _enqueue()
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "to", subject, body FROM core_outboxmessage WHERE id = %s', [message.pk]
        )
        stored_to, stored_subject, stored_body = cursor.fetchone()
    assert "eva" not in stored_to
    assert "intresseanmälan" not in stored_subject
    assert "Hej" not in stored_body
    assert OutboxMessage.objects.get(pk=message.pk).to == EVA


@override_settings(
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    EMAIL_HOST="127.0.0.1",
    EMAIL_PORT=_free_port(),
    EMAIL_OUTBOX_DELIVER_ON_COMMIT=False,
)
def test_a_request_never_waits_for_the_mail_server(
    client: Client, bertil: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:password_reset"), {"email": bertil.email})
    assert response.status_code == 302
    queued = OutboxMessage.objects.get()
    assert queued.to == bertil.email
    assert queued.attempts == 0
    assert queued.sent_at is None


def test_a_server_that_refuses_then_accepts_gets_the_message_on_retry(
    smtp_server: Callable[[Any], int],
) -> None:
    handler = RefusesFirst()
    with _smtp_settings(smtp_server(handler)):
        message = _enqueue()
        first = outbox_deliver()
        message.refresh_from_db()
        assert (first.sent, first.failed) == (0, 1)
        assert message.attempts == 1
        assert "451" in message.last_error
        assert message.next_attempt_at is not None
        assert message.next_attempt_at > timezone.now() + timedelta(seconds=50)
        assert outbox_deliver().sent == 0  # not due yet: backoff
        second = outbox_deliver(now=timezone.now() + timedelta(minutes=2))
    message.refresh_from_db()
    assert second.sent == 1
    assert message.sent_at is not None
    assert message.attempts == 2
    assert [envelope.rcpt_tos for envelope in handler.received] == [[EVA]]
    assert b"Bekr" in (handler.received[0].original_content or b"")


def test_a_message_waits_while_the_server_is_down_and_goes_when_it_is_back(
    smtp_server: Callable[..., int],
) -> None:
    port = _free_port()
    with _smtp_settings(port):
        message = _enqueue()
        assert outbox_deliver().failed == 1  # nobody listens: connection refused
        message.refresh_from_db()
        assert message.attempts == 1
        assert message.last_error.startswith("ConnectionRefusedError")
        handler = RefusesFirst(refusals=0)
        smtp_server(handler, port)
        assert outbox_deliver(now=timezone.now() + timedelta(minutes=2)).sent == 1
    assert len(handler.received) == 1


def test_an_error_naming_the_recipient_is_stored_and_logged_without_the_address(
    smtp_server: Callable[[Any], int], caplog: pytest.LogCaptureFixture
) -> None:
    with _smtp_settings(smtp_server(RejectsRecipient())):
        message = _enqueue()
        outbox_deliver()
    message.refresh_from_db()
    assert "Recipient address rejected" in message.last_error
    assert "eva" not in message.last_error.lower()
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("studienav"))
    assert "Recipient address rejected" in ours
    assert "eva" not in ours.lower()


def test_backoff_doubles_from_one_minute_up_to_six_hours() -> None:
    minutes = [backoff(attempts).total_seconds() / 60 for attempts in range(1, 13)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360]


def test_after_five_failures_a_message_is_stuck_and_still_retried() -> None:
    with override_settings(
        EMAIL_OUTBOX_DELIVER_ON_COMMIT=False,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=_free_port(),
    ):
        message = _enqueue()
        for _ in range(5):
            outbox_deliver(now=timezone.now() + timedelta(hours=7))
    message.refresh_from_db()
    assert message.attempts == 5
    assert list(outbox_stuck()) == [message]
    assert message.next_attempt_at is not None
    assert outbox_deliver(now=timezone.now() + timedelta(hours=7)).sent == 1  # locmem again
    assert [m.to for m in mail.outbox] == [[EVA]]


def test_sent_messages_are_deleted_after_the_retention_days() -> None:
    message = _enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now() - timedelta(days=8), next_attempt_at=None
    )
    waiting = _enqueue(to="anna@test.example")
    OutboxMessage.objects.filter(pk=waiting.pk).update(attempts=9, sent_at=None)
    assert outbox_purge_sent() == 1
    assert list(OutboxMessage.objects.all()) == [waiting]


@pytest.fixture
def stuck_message() -> OutboxMessage:
    with override_settings(EMAIL_OUTBOX_DELIVER_ON_COMMIT=False):
        message = _enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=7,
        last_error="SMTPDataError: (451, b'4.3.0 Mail server busy')",
        next_attempt_at=timezone.now() + timedelta(hours=3),
    )
    message.refresh_from_db()
    return message


def test_node_office_sees_stuck_e_mail_with_the_recipient_masked(
    client: Client,
    cecilia: User,
    stuck_message: OutboxMessage,
    signed_in: Callable[[Client, User], Client],
) -> None:
    signed_in(client, cecilia)
    response = client.get(reverse("core:outbox"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "e…@test.example" in page
    assert EVA not in page
    assert "Hej Eva" not in page
    assert "Bekräfta din intresseanmälan" in page
    assert "451" in page


def test_retry_now_makes_a_stuck_message_due_and_is_audited(
    client: Client,
    cecilia: User,
    stuck_message: OutboxMessage,
    signed_in: Callable[[Client, User], Client],
) -> None:
    signed_in(client, cecilia)
    with override_settings(EMAIL_OUTBOX_DELIVER_ON_COMMIT=False):
        response = client.post(reverse("core:outbox_retry", args=[stuck_message.pk]))
    assert response.status_code == 302
    stuck_message.refresh_from_db()
    assert stuck_message.next_attempt_at is not None
    assert stuck_message.next_attempt_at <= timezone.now()
    event = AuditEvent.objects.get(action="outbox.retry")
    assert event.actor == cecilia
    assert "eva" not in str(event.changes)
    assert outbox_deliver().sent == 1


@pytest.mark.parametrize("person", ["anna", "bertil", "david"])
def test_other_staff_can_neither_see_nor_retry_the_outbox(
    client: Client,
    person: str,
    stuck_message: OutboxMessage,
    signed_in: Callable[[Client, User], Client],
    request: pytest.FixtureRequest,
) -> None:
    signed_in(client, request.getfixturevalue(person))
    assert client.get(reverse("core:outbox")).status_code == 403
    retry = client.post(reverse("core:outbox_retry", args=[stuck_message.pk]))
    assert retry.status_code == 403
    assert not AuditEvent.objects.filter(action="outbox.retry").exists()


def test_the_retry_service_refuses_a_researcher(anna: User, stuck_message: OutboxMessage) -> None:
    with pytest.raises(PermissionDenied):
        outbox_retry(message=stuck_message, by=anna)
