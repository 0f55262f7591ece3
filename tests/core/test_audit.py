"""The audit trail: every change recorded, append-only in the database, tamper-evident."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from studienav.core import services
from studienav.core.audit import audit_verify
from studienav.core.models import AuditEvent, Role, User
from studienav.core.triggers import append_only_remove

pytestmark = pytest.mark.django_db


def _three_changes(cecilia: User, bertil: User) -> list[AuditEvent]:
    services.user_update_profile(
        user=bertil, full_name="Bertil Ek", phone="019-10 10 10", language="en"
    )
    assignment = services.role_grant(
        by=cecilia, user=bertil, role=Role.RESEARCHER, reason="new study"
    )
    services.role_revoke(by=cecilia, assignment=assignment, reason="study moved")
    return list(AuditEvent.objects.order_by("id"))


def test_service_records_who_what_when_why_and_field_changes(cecilia: User, bertil: User) -> None:
    events = _three_changes(cecilia, bertil)
    profile, grant, revoke = events[-3:]
    assert profile.action == "user.update_profile"
    assert profile.actor == bertil
    assert profile.changes == {"language": ["sv", "en"], "phone": ["", "019-10 10 10"]}
    assert grant.action == "role.grant" and grant.reason == "new study"
    assert revoke.actor == cecilia
    assert revoke.reason == "study moved"
    assert revoke.changes["revoked_at"][0] is None
    assert revoke.occurred_at >= grant.occurred_at


def test_chain_verifies_when_untouched(cecilia: User, bertil: User) -> None:
    events = _three_changes(cecilia, bertil)
    report = audit_verify()
    assert report.is_intact
    assert report.checked == len(events)


def test_database_refuses_update_and_delete_of_the_trail(cecilia: User, bertil: User) -> None:
    _three_changes(cecilia, bertil)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(action="role.grant").update(reason="nothing to see")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(action="role.grant").delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET reason = 'x'")
    assert audit_verify().is_intact


def test_altered_row_is_found_by_verify(cecilia: User, bertil: User) -> None:
    events = _three_changes(cecilia, bertil)
    grant = next(e for e in events if e.action == "role.grant" and e.reason == "new study")
    append_only_remove(connection)  # as someone with full database rights could
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET reason = %s WHERE id = %s", ["routine", grant.id]
        )
    report = audit_verify()
    assert report.first_bad_id == grant.id
    assert "altered" in report.problem


def test_removed_row_is_found_by_verify(cecilia: User, bertil: User) -> None:
    events = _three_changes(cecilia, bertil)
    removed, following = events[-2], events[-1]
    append_only_remove(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [removed.id])
    report = audit_verify()
    assert report.first_bad_id == following.id
    assert "inserted or removed" in report.problem


def test_inserted_row_is_found_by_verify(cecilia: User, bertil: User) -> None:
    events = _three_changes(cecilia, bertil)
    last = events[-1]
    forged = AuditEvent.objects.create(
        action="role.grant",
        object_type="core.roleassignment",
        object_id="999",
        previous_hash="f" * 64,
        hash="e" * 64,
    )
    report = audit_verify()
    assert report.first_bad_id == forged.id
    assert report.checked == len(events)
    assert last.id < forged.id


def test_audit_verify_command_exit_codes(
    cecilia: User, bertil: User, capsys: pytest.CaptureFixture[str]
) -> None:
    events = _three_changes(cecilia, bertil)
    call_command("audit_verify")
    assert f"{len(events)} events checked" in capsys.readouterr().out
    append_only_remove(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [events[0].id])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify")
    assert exit_info.value.code == 1
    assert f"event {events[0].id}" in capsys.readouterr().err
