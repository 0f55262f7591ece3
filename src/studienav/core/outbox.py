"""The e-mail outbox: written in the sender's transaction, delivered and retried by a job."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.audit import audit_record, snapshot
from studienav.core.errors import InvalidTransition, PermissionDenied
from studienav.core.models import OutboxMessage, User
from studienav.core.selectors import is_node_office

logger = logging.getLogger(__name__)

BACKOFF_CAP = timedelta(hours=6)
# How long one delivery holds a message; a worker that died mid-send frees it after this.
DELIVERY_LEASE = timedelta(minutes=10)
BATCH_SIZE = 200
SUBJECT_LENGTH = 300
_ADDRESS = re.compile(r"[^\s<>\"'@,;:]+@[^\s<>\"'@,;:]+")


def outbox_enqueue(*, to: str, subject: str, body: str, language: str) -> OutboxMessage:
    """Write one e-mail to the outbox in the caller's transaction: a rollback sends nothing."""
    message = OutboxMessage(
        to=to.strip(),
        subject=" ".join(subject.split())[:SUBJECT_LENGTH],
        body=body,
        language=language,
    )
    message.full_clean()
    message.save()
    if settings.EMAIL_OUTBOX_DELIVER_ON_COMMIT:
        transaction.on_commit(partial(outbox_deliver_message, message_id=message.pk))
    return message


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: 1, 2, 4 … minutes, at most 6 hours."""
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 20)), BACKOFF_CAP)


def _scrubbed(error: BaseException, address: str) -> str:
    """The error as text without any e-mail address (servers quote the recipient)."""
    text = f"{type(error).__name__}: {error}".replace(address, "…")
    return _ADDRESS.sub("…", text)[:500]


def _claim(message_id: int, *, now: datetime) -> OutboxMessage | None:
    """Take a due message for one delivery, so that no other worker sends it meanwhile."""
    due = OutboxMessage.objects.filter(
        pk=message_id, sent_at__isnull=True, next_attempt_at__lte=now
    )
    if not due.update(next_attempt_at=now + DELIVERY_LEASE):
        return None
    return OutboxMessage.objects.get(pk=message_id)


def outbox_deliver_message(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one due message through the configured mail backend; record success or failure.

    Never raises for a failed delivery: the message is scheduled again with backoff.
    """
    now = now or timezone.now()
    message = _claim(message_id, now=now)
    if message is None:
        return False
    email = EmailMessage(
        message.subject,
        message.body,
        settings.DEFAULT_FROM_EMAIL,
        [message.to],
        headers={"Content-Language": message.language},
    )
    try:
        email.send(fail_silently=False)
    except Exception as error:  # any failure of the backend: keep the message, try later
        attempts = message.attempts + 1
        reason = _scrubbed(error, message.to)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=attempts,
            last_error=reason,
            next_attempt_at=timezone.now() + backoff(attempts),
        )
        logger.warning("e-mail %s not delivered (attempt %s): %s", message.pk, attempts, reason)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=message.attempts + 1, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return True


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int
    purged: int

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} failed, {self.purged} old messages deleted"


def outbox_deliver(*, now: datetime | None = None, limit: int = BATCH_SIZE) -> DeliveryReport:
    """Send the due messages, oldest first, and delete those sent longer ago than retention."""
    now = now or timezone.now()
    due = list(outbox_due(now=now).values_list("pk", flat=True)[:limit])
    sent = sum(outbox_deliver_message(message_id=pk, now=now) for pk in due)
    return DeliveryReport(sent=sent, failed=len(due) - sent, purged=outbox_purge_sent(now=now))


def outbox_purge_sent(*, now: datetime | None = None) -> int:
    """Delete sent messages past EMAIL_OUTBOX_RETENTION_DAYS: address and text go with them."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EMAIL_OUTBOX_RETENTION_DAYS)
    deleted, _counts = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def outbox_retry(*, message: OutboxMessage, by: User) -> OutboxMessage:
    """Make an unsent message due now (node office or an administrator, after a fix)."""
    if not is_node_office(by):
        raise PermissionDenied(
            code="not_node_office", message=_("Only node office can retry e-mail.")
        )
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.sent_at is not None:
        raise InvalidTransition(code="already_sent", message=_("The e-mail is already sent."))
    before = snapshot(message)
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["next_attempt_at"])
    audit_record(actor=by, action="outbox.retry", obj=message, before=before)
    if settings.EMAIL_OUTBOX_DELIVER_ON_COMMIT:
        transaction.on_commit(partial(outbox_deliver_message, message_id=message.pk))
    return message


def outbox_due(*, now: datetime | None = None) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        sent_at__isnull=True, next_attempt_at__lte=now or timezone.now()
    ).order_by("next_attempt_at", "id")


def outbox_unsent() -> QuerySet[OutboxMessage]:
    """Messages not yet delivered: queued, being retried or stuck."""
    return OutboxMessage.objects.filter(sent_at__isnull=True)


def outbox_stuck() -> QuerySet[OutboxMessage]:
    """Unsent messages that failed EMAIL_OUTBOX_STUCK_ATTEMPTS times or more (still retried)."""
    return outbox_unsent().filter(attempts__gte=settings.EMAIL_OUTBOX_STUCK_ATTEMPTS)


def outbox_for_staff() -> QuerySet[OutboxMessage]:
    """What the outbox page lists: the most failed first, then the queue by due time."""
    return outbox_unsent().order_by("-attempts", "next_attempt_at", "id")


def address_masked(address: str) -> str:
    """An address as staff may see it in lists: first letter and the domain (a…@example.se)."""
    local, _at, domain = address.partition("@")
    if not domain:
        return "…"
    return f"{local[:1]}…@{domain}"
