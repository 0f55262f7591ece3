"""The audit trail: record every change with who, what, when and why; verify the hash chains.

Two append-only chains, the trail (AuditEvent) and the access log (AccessLogEntry): each row's
hash covers its content and the previous row's hash, as an HMAC-SHA256 under a key from
AUDIT_KEYS that the database never holds, so its owner cannot rewrite a row and re-hash the
rest. Rows written before the chains were keyed (empty key id) keep the plain SHA-256 chain;
the first keyed row covers them. Cutting rows off the end is found against the signed chain
heads that `studienav audit-anchor` writes outside the database (core.audit_anchors).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from studienav.core.bulk import instances_insert
from studienav.core.middleware import current_request_id
from studienav.core.models import AccessLogEntry, AuditEvent, User

GENESIS_HASH = "0" * 64
# Never copied into the trail: secrets, and personal fields kept encrypted elsewhere.
ALWAYS_EXCLUDED = frozenset({"password", "token_hash"})
# Serialise appends on PostgreSQL so that two transactions never chain to the same row.
_PG_CHAIN_LOCK = 7_274_614_301
_PG_ACCESS_LOG_LOCK = 7_274_614_302
# What one verification reports at most: past a rewrite, every row after it may be flagged.
MAX_PROBLEMS = 100


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


# Keys ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditKey:
    """One entry of AUDIT_KEYS: a short id stored with each row, and the secret it names."""

    id: str
    secret: bytes = field(repr=False)


@cache
def _parsed_keys(entries: tuple[str, ...]) -> tuple[AuditKey, ...]:
    keys = []
    for entry in entries:
        key_id, colon, secret = entry.strip().partition(":")
        if not (colon and key_id and secret) or len(key_id) > 16:
            raise ImproperlyConfigured("AUDIT_KEYS: each key is 'id:secret' with a short id.")
        keys.append(AuditKey(key_id, secret.encode()))
    if not keys:
        raise ImproperlyConfigured("AUDIT_KEYS must hold at least one key.")
    return tuple(keys)


def audit_keys() -> tuple[AuditKey, ...]:
    """The configured keys, newest first: the first signs, every one verifies."""
    raw = settings.AUDIT_KEYS
    entries = raw.split(",") if isinstance(raw, str) else raw
    return _parsed_keys(tuple(e for e in entries if e.strip()))


def audit_key(key_id: str) -> AuditKey | None:
    """The configured key with this id (the newest of that id), or None."""
    return next((key for key in audit_keys() if key.id == key_id), None)


def _canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    ).encode()


def keyed_digest(key: AuditKey, content: dict[str, Any]) -> str:
    """HMAC-SHA256 of the content's canonical JSON under the key."""
    return hmac.new(key.secret, _canonical(content), hashlib.sha256).hexdigest()


def digests_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


# The two chains -----------------------------------------------------------------------------


def _event_fields(event: AuditEvent) -> dict[str, Any]:
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


def _access_fields(entry: AccessLogEntry) -> dict[str, Any]:
    return {
        "accessed_at": entry.accessed_at.astimezone(UTC).isoformat(),
        "actor": entry.actor_id,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "purpose": entry.purpose,
        "request_id": entry.request_id,
    }


@dataclass(frozen=True)
class Chain:
    """One hash chain: its rows, what of a row its hash covers, and how a row is named."""

    name: str
    label: str
    model: type[AuditEvent] | type[AccessLogEntry]
    fields: Callable[[Any], dict[str, Any]]
    lock: int
    # Rows from before the keys kept a stored plain hash (the trail), or none (the access log).
    stores_plain_hash: bool


AUDIT_CHAIN = Chain("audit", "event", AuditEvent, _event_fields, _PG_CHAIN_LOCK, True)
ACCESS_CHAIN = Chain(
    "access", "access log entry", AccessLogEntry, _access_fields, _PG_ACCESS_LOG_LOCK, False
)
CHAINS = (AUDIT_CHAIN, ACCESS_CHAIN)


def _plain_hash(chain: Chain, previous_hash: str, fields: dict[str, Any]) -> str:
    """The chain as it was before keys: SHA-256 that anyone can recompute."""
    content = {"previous": previous_hash, **fields}
    if not chain.stores_plain_hash:
        content["chain"] = chain.name
    return hashlib.sha256(_canonical(content)).hexdigest()


def _keyed_hash(chain: Chain, previous_hash: str, fields: dict[str, Any], key: AuditKey) -> str:
    content = {"chain": chain.name, "key": key.id, "previous": previous_hash, **fields}
    return keyed_digest(key, content)


def _chain_head(chain: Chain) -> str:
    """The hash the next row chains to, with the chain held until the caller's commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [chain.lock])
    last = chain.model.objects.order_by("-id").values_list("hash", "key_id").first()
    if last is None:
        return GENESIS_HASH
    if last[1] or chain.stores_plain_hash:
        return last[0]
    # The access log as it was before it was chained: its plain chain, computed this once.
    previous = GENESIS_HASH
    for row in chain.model.objects.order_by("id").iterator(chunk_size=2000):
        previous = _plain_hash(chain, previous, chain.fields(row))
    return previous


def _signed(chain: Chain, row: AuditEvent | AccessLogEntry, previous_hash: str) -> None:
    key = audit_keys()[0]
    row.previous_hash = previous_hash
    row.key_id = key.id
    row.hash = _keyed_hash(chain, previous_hash, chain.fields(row), key)


# Writing ------------------------------------------------------------------------------------


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
        previous = _chain_head(AUDIT_CHAIN)
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
        )
        _signed(AUDIT_CHAIN, event, previous)
        event.save(force_insert=True)
    return event


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
        previous = _chain_head(AUDIT_CHAIN)
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
            )
            _signed(AUDIT_CHAIN, event, previous)
            previous = event.hash
            events.append(event)
        instances_insert(events)


def access_log_record(*, actor: User, subject: models.Model, purpose: str = "") -> None:
    """Log that staff read someone's personal data (who looked at whom, when, why)."""
    with transaction.atomic():
        previous = _chain_head(ACCESS_CHAIN)
        entry = AccessLogEntry(
            accessed_at=timezone.now(),
            actor=actor,
            subject_type=object_type_of(subject),
            subject_id=str(subject.pk),
            purpose=purpose[:200],
            request_id=current_request_id(),
        )
        _signed(ACCESS_CHAIN, entry, previous)
        entry.save(force_insert=True)


# Verifying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorPoint:
    """A chain head as an anchor file holds it: the row, its hash, how many rows up to it."""

    chain: str
    last_id: int | None
    hash: str
    count: int
    source: str


@dataclass(frozen=True)
class ChainHead:
    last_id: int | None
    hash: str
    count: int


@dataclass(frozen=True)
class ChainProblem:
    label: str
    row_id: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.label} {self.row_id}: {self.message}"


@dataclass(frozen=True)
class ChainReport:
    """What a walk of one chain found: rows intact before the first problem, the head, the
    problems (at most MAX_PROBLEMS)."""

    chain: str
    checked: int
    head: ChainHead
    problems: tuple[ChainProblem, ...] = ()

    @property
    def is_intact(self) -> bool:
        return not self.problems

    @property
    def first_bad_id(self) -> int | None:
        return self.problems[0].row_id if self.problems else None

    @property
    def problem(self) -> str:
        return self.problems[0].message if self.problems else ""


def _row_problem(chain: Chain, row: Any, previous: str, after_keyed: bool) -> tuple[str, str]:
    """What is wrong with one row given the hash before it ("" if nothing), and its hash."""
    fields = chain.fields(row)
    if row.key_id:
        if row.previous_hash != previous:
            return f"an {chain.label} before this one was inserted or removed", row.hash
        key = audit_key(row.key_id)
        if key is None:
            return f"keyed with {row.key_id!r}, which AUDIT_KEYS does not hold", row.hash
        if not digests_match(_keyed_hash(chain, previous, fields, key), row.hash):
            return f"this {chain.label} was altered", row.hash
        return "", row.hash
    if chain.stores_plain_hash:
        own = row.hash
        if row.previous_hash != previous:
            return f"an {chain.label} before this one was inserted or removed", own
        if not digests_match(_plain_hash(chain, previous, fields), row.hash):
            return f"this {chain.label} was altered", own
    else:
        own = _plain_hash(chain, previous, fields)
        if row.hash or row.previous_hash:
            return f"this {chain.label} was altered", own
    if after_keyed:
        return f"this {chain.label} has no keyed hash, yet keyed ones come before it", own
    return "", own


def chain_verify(chain: Chain, *, anchors: Iterable[AnchorPoint] = ()) -> ChainReport:
    """Walk one chain in order: every row's hash, its link to the one before, and every
    anchored head still there with the same hash and the same number of rows up to it."""
    pending: dict[int, list[AnchorPoint]] = {}
    for anchor in anchors:
        if anchor.chain == chain.name and anchor.last_id is not None:
            pending.setdefault(anchor.last_id, []).append(anchor)
    problems: list[ChainProblem] = []
    previous, count, checked, after_keyed, last_id = GENESIS_HASH, 0, 0, False, None
    for row in chain.model.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        message, own = _row_problem(chain, row, previous, after_keyed)
        for anchor in pending.pop(row.id, []):
            if not message and own != anchor.hash:
                message = f"differs from anchor {anchor.source}: rewritten since"
            elif not message and count != anchor.count:
                message = f"anchor {anchor.source} counted {anchor.count} up to here, now {count}"
        if message and len(problems) < MAX_PROBLEMS:
            problems.append(ChainProblem(chain.label, row.id, message))
        elif not problems:
            checked += 1
        after_keyed = after_keyed or bool(row.key_id)
        previous, last_id = own, row.id
    for anchored_id, anchored in sorted(pending.items()):
        sources = ", ".join(anchor.source for anchor in anchored)
        problems.append(
            ChainProblem(chain.label, anchored_id, f"missing, though anchored in {sources}")
        )
    return ChainReport(
        chain=chain.name,
        checked=checked,
        head=ChainHead(last_id, previous, count),
        problems=tuple(problems),
    )


def audit_verify(*, anchors: Iterable[AnchorPoint] = ()) -> ChainReport:
    """Walk the whole trail in order and report the events that break the chain."""
    return chain_verify(AUDIT_CHAIN, anchors=anchors)


def access_log_verify(*, anchors: Iterable[AnchorPoint] = ()) -> ChainReport:
    """Walk the whole access log in order and report the entries that break its chain."""
    return chain_verify(ACCESS_CHAIN, anchors=anchors)


def audit_events_for(*, object_type: str, object_id: str) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=object_type, object_id=object_id).select_related(
        "actor"
    )
