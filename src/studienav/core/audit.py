"""The audit trail: record every change with who, what, when and why; verify the hash chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from studienav.core.bulk import instances_insert
from studienav.core.middleware import current_request_id
from studienav.core.models import AccessLogEntry, AuditEvent, User

GENESIS_HASH = "0" * 64
# Never copied into the trail: secrets, and personal fields kept encrypted elsewhere.
ALWAYS_EXCLUDED = frozenset({"password", "token_hash"})
# Serialises appends on PostgreSQL so that two transactions never chain to the same event.
_PG_CHAIN_LOCK = 7_274_614_301


def json_ready(value: Any) -> Any:
    """Plain JSON data (dates as ISO strings, decimals as strings), as the trail stores it."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def snapshot(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The object's concrete field values as JSON-ready data, for a before/after diff."""
    skip = ALWAYS_EXCLUDED | set(exclude) | set(getattr(obj, "audit_exclude", ()))
    data = {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if field.attname not in skip and field.name not in skip
    }
    return dict(json_ready(data))


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level changes as {field: [old, new]}, only for fields whose value changed."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def event_hash(*, previous_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(
        {"previous": previous_hash, **fields},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_label": event.object_label,
        "changes": event.changes,
        "reason": event.reason,
        "request_id": event.request_id,
    }


def object_type_of(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    role: str = "",
    label: str | None = None,
) -> AuditEvent:
    """Append one event to the trail, in the caller's transaction.

    Pass `before` (a snapshot) to record field-level old and new values; the new values are
    read from the object itself unless `after` is given. `changes` adds or replaces entries.
    """
    recorded: dict[str, Any] = {}
    if before is not None:
        recorded.update(diff(before, after if after is not None else snapshot(obj)))
    if changes:
        recorded.update(json_ready(changes))
    with transaction.atomic():
        previous = _chain_head()
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor if actor is not None and actor.pk else None,
            actor_role=role,
            action=action,
            object_type=object_type_of(obj),
            object_id=str(obj.pk),
            object_label=(label if label is not None else str(obj))[:200],
            changes=recorded,
            reason=reason,
            request_id=current_request_id(),
            previous_hash=previous,
        )
        event.hash = event_hash(previous_hash=previous, fields=_hashed_fields(event))
        event.save(force_insert=True)
    return event


def _chain_head() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_CHAIN_LOCK])
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH


def audit_record_many(
    *,
    actor: User | None,
    action: str,
    objects: list[models.Model],
    reason: str = "",
    changes: list[dict[str, Any]] | None = None,
) -> None:
    """Append one event per object in one statement (bulk imports); same chain as audit_record."""
    if not objects:
        return
    with transaction.atomic():
        previous = _chain_head()
        now = timezone.now()
        events = []
        for index, obj in enumerate(objects):
            event = AuditEvent(
                occurred_at=now,
                actor=actor if actor is not None and actor.pk else None,
                action=action,
                object_type=object_type_of(obj),
                object_id=str(obj.pk),
                object_label=str(obj)[:200],
                changes=json_ready(changes[index]) if changes else {},
                reason=reason,
                request_id=current_request_id(),
                previous_hash=previous,
            )
            event.hash = event_hash(previous_hash=previous, fields=_hashed_fields(event))
            previous = event.hash
            events.append(event)
        instances_insert(events)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_bad_id: int | None = None
    problem: str = ""

    @property
    def is_intact(self) -> bool:
        return self.first_bad_id is None


def audit_verify() -> ChainReport:
    """Walk the whole trail in order and report the first event that breaks the chain."""
    previous = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.previous_hash != previous:
            return ChainReport(
                checked, event.id, "an event before this one was inserted or removed"
            )
        if event_hash(previous_hash=previous, fields=_hashed_fields(event)) != event.hash:
            return ChainReport(checked, event.id, "this event was altered")
        previous = event.hash
        checked += 1
    return ChainReport(checked)


def access_log_record(*, actor: User, subject: models.Model, purpose: str = "") -> None:
    """Log that staff read someone's personal data (who looked at whom, when, why)."""
    AccessLogEntry.objects.create(
        actor=actor,
        subject_type=object_type_of(subject),
        subject_id=str(subject.pk),
        purpose=purpose[:200],
        request_id=current_request_id(),
    )


def audit_events_for(*, object_type: str, object_id: str) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=object_type, object_id=object_id).select_related(
        "actor"
    )
