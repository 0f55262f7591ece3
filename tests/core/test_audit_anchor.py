"""The trail against an owner of the database: a key kept outside it, and signed chain heads.

Each attack drops the append-only triggers first, as someone with the database owner's
rights can, and then does what such a person could do without the audit key.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from studienav.core import services
from studienav.core.audit import access_log_record, access_log_verify, audit_verify
from studienav.core.models import AccessLogEntry, AuditEvent, Role, User
from studienav.core.triggers import append_only_remove

pytestmark = pytest.mark.django_db

GENESIS = "0" * 64
OLD_KEY = "k2024:" + "o" * 40
NEW_KEY = "k2025:" + "n" * 40


def _three_changes(cecilia: User, bertil: User) -> list[AuditEvent]:
    services.user_update_profile(
        user=bertil, full_name="Bertil Ek", phone="019-10 10 10", language="en"
    )
    assignment = services.role_grant(
        by=cecilia, user=bertil, role=Role.RESEARCHER, reason="new study"
    )
    services.role_revoke(by=cecilia, assignment=assignment, reason="study moved")
    return list(AuditEvent.objects.order_by("id"))


def _plain_sha256(previous: str, fields: dict[str, Any]) -> str:
    """The published chain algorithm, as anyone can compute it without the key."""
    payload = json.dumps(
        {"previous": previous, **fields},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
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


def _rewrite_and_rehash(event_id: int, *, downgrade: bool = False, **values: Any) -> None:
    """Rewrite one event and re-hash it and every later one, as the owner of the database can;
    `downgrade` also makes them look like events written before the trail had a key."""
    append_only_remove(connection)
    AuditEvent.objects.filter(id=event_id).update(**values)
    previous = GENESIS
    for event in AuditEvent.objects.order_by("id"):
        if event.id < event_id:
            previous = event.hash
            continue
        rehashed = _plain_sha256(previous, _fields(event))
        extra = {"key_id": ""} if downgrade else {}
        AuditEvent.objects.filter(id=event.id).update(
            previous_hash=previous, hash=rehashed, **extra
        )
        previous = rehashed


def _verify_command(anchors: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        call_command("audit_verify", anchors=str(anchors))
    except SystemExit as exit_:
        return int(exit_.code or 0), capsys.readouterr().err
    return 0, capsys.readouterr().out


def test_clean_trail_and_access_log_pass_with_their_anchor(
    tmp_path: Path, cecilia: User, bertil: User, capsys: pytest.CaptureFixture[str]
) -> None:
    events = _three_changes(cecilia, bertil)
    access_log_record(actor=cecilia, subject=bertil, purpose="support case")
    call_command("audit_anchor", output=str(tmp_path))
    capsys.readouterr()
    code, out = _verify_command(tmp_path, capsys)
    assert code == 0, out
    assert f"{len(events)} events checked" in out
    assert "access log intact: 1 entries checked" in out
    assert "1 anchor" in out


def test_rewritten_event_rehashed_with_plain_sha256_fails(cecilia: User, bertil: User) -> None:
    events = _three_changes(cecilia, bertil)
    grant = next(e for e in events if e.action == "role.grant")
    _rewrite_and_rehash(grant.id, reason="routine")
    report = audit_verify()
    assert report.first_bad_id == grant.id
    assert "altered" in report.problem


def test_event_rewritten_as_one_from_before_the_key_fails(cecilia: User, bertil: User) -> None:
    """Blanking the key id does not let a rewritten event pass as one written before keys."""
    events = _three_changes(cecilia, bertil)
    grant = next(e for e in events if e.action == "role.grant")
    _rewrite_and_rehash(grant.id, reason="routine", downgrade=True)
    report = audit_verify()
    assert report.first_bad_id == grant.id


def test_deleting_the_newest_events_after_an_anchor_fails(
    tmp_path: Path, cecilia: User, bertil: User, capsys: pytest.CaptureFixture[str]
) -> None:
    events = _three_changes(cecilia, bertil)
    call_command("audit_anchor", output=str(tmp_path))
    append_only_remove(connection)
    AuditEvent.objects.filter(id__gte=events[-2].id).delete()
    code, err = _verify_command(tmp_path, capsys)
    assert code == 1
    assert f"event {events[-1].id}: " in err


def test_cutting_back_and_rewriting_the_trail_up_to_an_anchor_fails(
    tmp_path: Path, cecilia: User, bertil: User, capsys: pytest.CaptureFixture[str]
) -> None:
    events = _three_changes(cecilia, bertil)
    call_command("audit_anchor", output=str(tmp_path))
    _rewrite_and_rehash(events[0].id, reason="nothing happened", downgrade=True)
    code, err = _verify_command(tmp_path, capsys)
    assert code == 1
    assert f"event {events[-1].id}: " in err


def test_an_altered_anchor_file_is_refused(
    tmp_path: Path, cecilia: User, bertil: User, capsys: pytest.CaptureFixture[str]
) -> None:
    _three_changes(cecilia, bertil)
    call_command("audit_anchor", output=str(tmp_path))
    [anchor] = tmp_path.glob("*.json")
    content = json.loads(anchor.read_text())
    content["chains"]["audit"]["count"] -= 1
    anchor.write_text(json.dumps(content))
    code, err = _verify_command(tmp_path, capsys)
    assert code == 1
    assert f"anchor {anchor.name}: " in err


def test_anchor_refuses_to_seal_a_broken_trail(tmp_path: Path, cecilia: User, bertil: User) -> None:
    events = _three_changes(cecilia, bertil)
    _rewrite_and_rehash(events[1].id, reason="routine")
    with pytest.raises(SystemExit):
        call_command("audit_anchor", output=str(tmp_path))
    assert not list(tmp_path.glob("*.json"))


def test_altered_access_log_entry_fails(cecilia: User, bertil: User, anna: User) -> None:
    access_log_record(actor=cecilia, subject=bertil, purpose="support case")
    access_log_record(actor=cecilia, subject=anna, purpose="complaint")
    access_log_record(actor=cecilia, subject=bertil, purpose="follow-up")
    looked_at_anna = AccessLogEntry.objects.get(purpose="complaint")
    assert access_log_verify().is_intact
    append_only_remove(connection)
    AccessLogEntry.objects.filter(id=looked_at_anna.id).update(subject_id=str(bertil.pk))
    report = access_log_verify()
    assert report.first_bad_id == looked_at_anna.id


def test_removed_access_log_entry_fails(cecilia: User, bertil: User, anna: User) -> None:
    access_log_record(actor=cecilia, subject=bertil, purpose="support case")
    access_log_record(actor=cecilia, subject=anna, purpose="complaint")
    access_log_record(actor=cecilia, subject=bertil, purpose="follow-up")
    entries = list(AccessLogEntry.objects.order_by("id"))
    append_only_remove(connection)
    AccessLogEntry.objects.filter(id=entries[1].id).delete()
    assert access_log_verify().first_bad_id == entries[2].id


def test_access_log_cut_back_after_an_anchor_fails(
    tmp_path: Path, cecilia: User, bertil: User, capsys: pytest.CaptureFixture[str]
) -> None:
    access_log_record(actor=cecilia, subject=bertil, purpose="support case")
    access_log_record(actor=cecilia, subject=bertil, purpose="follow-up")
    last_id = AccessLogEntry.objects.order_by("id").values_list("id", flat=True).last()
    assert last_id is not None
    call_command("audit_anchor", output=str(tmp_path))
    append_only_remove(connection)
    AccessLogEntry.objects.filter(id=last_id).delete()
    code, err = _verify_command(tmp_path, capsys)
    assert code == 1
    assert f"access log entry {last_id}: " in err


def test_events_under_an_earlier_key_verify_after_rotation(
    settings: Any, cecilia: User, bertil: User
) -> None:
    settings.AUDIT_KEYS = [OLD_KEY]
    _three_changes(cecilia, bertil)
    settings.AUDIT_KEYS = [NEW_KEY, OLD_KEY]
    services.user_update_profile(user=bertil, full_name="Bertil Ek", phone="", language="sv")
    latest = AuditEvent.objects.order_by("id").last()
    assert latest is not None and latest.key_id == "k2025"
    assert audit_verify().is_intact


def test_events_under_a_key_no_longer_configured_do_not_verify(
    settings: Any, cecilia: User, bertil: User
) -> None:
    settings.AUDIT_KEYS = [OLD_KEY]
    events = _three_changes(cecilia, bertil)
    settings.AUDIT_KEYS = [NEW_KEY]
    report = audit_verify()
    assert report.first_bad_id == events[0].id
    assert "k2024" in report.problem


def _legacy_event(action: str, previous: str) -> AuditEvent:
    """An event as written before the trail had a key: plain SHA-256, no key id."""
    event = AuditEvent(
        action=action, object_type="core.user", object_id="1", previous_hash=previous
    )
    event.hash = _plain_sha256(previous, _fields(event))
    event.save(force_insert=True)
    return event


def test_events_from_before_the_key_still_verify(cecilia: User, bertil: User) -> None:
    first = _legacy_event("user.invite", GENESIS)
    _legacy_event("role.grant", first.hash)
    services.role_grant(by=cecilia, user=bertil, role=Role.RESEARCHER, reason="new study")
    report = audit_verify()
    assert report.is_intact
    assert report.checked == 3


def test_keyed_events_seal_the_events_from_before_the_key(cecilia: User, bertil: User) -> None:
    first = _legacy_event("user.invite", GENESIS)
    _legacy_event("role.grant", first.hash)
    services.role_grant(by=cecilia, user=bertil, role=Role.RESEARCHER, reason="new study")
    keyed = AuditEvent.objects.order_by("id").last()
    assert keyed is not None
    append_only_remove(connection)
    AuditEvent.objects.filter(id=first.id).update(action="user.login")
    rehashed = _plain_sha256(GENESIS, _fields(AuditEvent.objects.get(id=first.id)))
    AuditEvent.objects.filter(id=first.id).update(hash=rehashed)
    second = AuditEvent.objects.get(action="role.grant", key_id="")
    AuditEvent.objects.filter(id=second.id).update(
        previous_hash=rehashed, hash=_plain_sha256(rehashed, _fields(second))
    )
    assert audit_verify().first_bad_id == keyed.id


def test_production_refuses_to_start_without_an_audit_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"AUDIT_KEYS", "DEBUG"}}
    env.update(
        STUDIENAV_VAR_DIR=str(tmp_path),
        SECRET_KEY="s" * 50,
        ALLOWED_HOSTS="studier.example.se",
        PARTICIPATION_KEYS="x",
        PARTICIPATION_HASH_KEY="h" * 40,
    )
    done = subprocess.run(
        [sys.executable, "-m", "studienav", "check"], env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "AUDIT_KEYS must be set" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_rows_from_before_the_upgrade_verify_after_it_and_stay_append_only(
    cecilia: User, bertil: User
) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0005_outbox_and_jobs")])
    old = executor.loader.project_state(("core", "0005_outbox_and_jobs")).apps
    event = AuditEvent(action="user.invite", object_type="core.user", object_id=str(bertil.pk))
    old.get_model("core", "AuditEvent").objects.create(
        occurred_at=event.occurred_at,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        previous_hash=GENESIS,
        hash=_plain_sha256(GENESIS, _fields(event)),
    )
    old.get_model("core", "AccessLogEntry").objects.create(
        actor_id=cecilia.pk, subject_type="core.user", subject_id=str(bertil.pk)
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    services.role_grant(by=cecilia, user=bertil, role=Role.RESEARCHER, reason="new study")
    access_log_record(actor=cecilia, subject=bertil, purpose="support case")
    assert audit_verify().is_intact
    assert access_log_verify().is_intact
    assert list(AuditEvent.objects.values_list("key_id", flat=True)) == ["", "test"]
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLogEntry.objects.update(purpose="nothing")
