"""Changes made in Django's admin land in the audit trail like any other change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from studienav.core.audit import audit_verify
from studienav.core.models import AuditEvent, Organisation, Role, RoleAssignment, User
from tests.factories import OrganisationFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

GRANTED_AT = timezone.make_aware(datetime(2025, 3, 1, 9, 0))


@pytest.fixture
def rut(db: None) -> User:
    """The installation's superuser: the only one who reaches Django's admin."""
    return UserFactory.create(
        email="rut@test.example", full_name="Rut Lind", is_staff=True, is_superuser=True
    )


@pytest.fixture
def admin_client(client: Client, rut: User, signed_in: Callable[[Client, User], Client]) -> Client:
    return signed_in(client, rut)


@pytest.fixture
def hospital(db: None) -> Organisation:
    return OrganisationFactory.create(name="Universitetssjukhuset Örebro")


def _role_form(user: User, organisation: Organisation, **extra: str) -> dict[str, Any]:
    return {
        "user": user.pk,
        "role": Role.RESEARCHER,
        "region": "",
        "organisation": organisation.pk,
        "granted_by": "",
        "granted_at_0": f"{GRANTED_AT:%Y-%m-%d}",
        "granted_at_1": f"{GRANTED_AT:%H:%M:%S}",
        "revoked_at_0": "",
        "revoked_at_1": "",
        **extra,
    }


def test_superuser_granting_a_role_in_the_admin_is_audited(
    admin_client: Client, rut: User, bertil: User, hospital: Organisation
) -> None:
    response = admin_client.post(
        reverse("admin:core_roleassignment_add"), _role_form(bertil, hospital)
    )
    assert response.status_code == 302
    grant = RoleAssignment.objects.get(user=bertil, role=Role.RESEARCHER)
    event = AuditEvent.objects.get(object_type="core.roleassignment", object_id=str(grant.pk))
    assert event.action == "admin.add"
    assert event.actor == rut
    assert event.reason == "django-admin"
    assert event.changes["role"] == [None, Role.RESEARCHER]
    assert event.changes["user_id"] == [None, bertil.pk]


def test_changes_in_the_admin_record_fields_before_and_after(
    admin_client: Client, rut: User, bertil: User, hospital: Organisation
) -> None:
    grant = RoleFactory.create(
        user=bertil, role=Role.RESEARCHER, organisation=hospital, granted_at=GRANTED_AT
    )
    form = _role_form(bertil, hospital, revoked_at_0="2025-04-01", revoked_at_1="12:00:00")
    response = admin_client.post(reverse("admin:core_roleassignment_change", args=[grant.pk]), form)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.change")
    assert event.object_id == str(grant.pk)
    assert set(event.changes) == {"revoked_at"}, event.changes
    assert event.changes["revoked_at"][0] is None


def test_making_someone_superuser_in_the_admin_is_audited(
    admin_client: Client, rut: User, bertil: User
) -> None:
    group = Group.objects.create(name="support")
    form = {
        "email": bertil.email,
        "full_name": bertil.full_name,
        "phone": "",
        "language": "sv",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [group.pk],
        "user_permissions": [],
        "date_joined_0": "2025-01-01",
        "date_joined_1": "08:00:00",
        "last_login_0": "",
        "last_login_1": "",
    }
    response = admin_client.post(reverse("admin:core_user_change", args=[bertil.pk]), form)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.change", object_type="core.user")
    assert event.changes["is_superuser"] == [False, True]
    assert event.changes["groups"] == [[], [group.pk]]
    assert "password" not in event.changes


def test_deleting_in_the_admin_is_audited(
    admin_client: Client, rut: User, bertil: User, hospital: Organisation
) -> None:
    grant = RoleFactory.create(user=bertil, role=Role.RESEARCHER, organisation=hospital)
    response = admin_client.post(
        reverse("admin:core_roleassignment_delete", args=[grant.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=grant.pk).exists()
    event = AuditEvent.objects.get(action="admin.delete")
    assert event.object_id == str(grant.pk)
    assert event.changes["role"] == [Role.RESEARCHER, None]


def test_deleting_several_at_once_in_the_admin_is_audited_one_by_one(
    admin_client: Client, bertil: User, hospital: Organisation
) -> None:
    grants = [
        RoleFactory.create(user=bertil, role=Role.RESEARCHER, organisation=hospital),
        RoleFactory.create(user=bertil, role=Role.SITE_STAFF, organisation=hospital),
    ]
    response = admin_client.post(
        reverse("admin:core_roleassignment_changelist"),
        {"action": "delete_selected", "_selected_action": [g.pk for g in grants], "post": "yes"},
    )
    assert response.status_code == 302
    deleted = AuditEvent.objects.filter(action="admin.delete").values_list("object_id", flat=True)
    assert sorted(deleted) == sorted(str(g.pk) for g in grants)


def test_secrets_changed_in_the_admin_are_not_copied_into_the_trail(
    admin_client: Client, bertil: User
) -> None:
    device = TOTPDevice.objects.create(user=bertil, name="phone", confirmed=True)
    response = admin_client.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.delete", object_type="otp_totp.totpdevice")
    assert device.key not in str(event.changes)
    assert "key" in event.changes


def test_admin_events_join_the_chain(
    admin_client: Client, bertil: User, hospital: Organisation
) -> None:
    admin_client.post(reverse("admin:core_roleassignment_add"), _role_form(bertil, hospital))
    assert AuditEvent.objects.filter(reason="django-admin").exists()
    assert audit_verify().is_intact


def test_rows_added_inline_in_the_admin_are_audited_without_their_secrets(
    admin_client: Client, bertil: User
) -> None:
    response = admin_client.post(
        reverse("admin:otp_static_staticdevice_add"),
        {
            "user": bertil.pk,
            "name": "backup codes",
            "confirmed": "on",
            "token_set-TOTAL_FORMS": "1",
            "token_set-INITIAL_FORMS": "0",
            "token_set-MIN_NUM_FORMS": "0",
            "token_set-MAX_NUM_FORMS": "1000",
            "token_set-0-id": "",
            "token_set-0-device": "",
            "token_set-0-token": "kodsecret",
        },
    )
    assert response.status_code == 302
    device = AuditEvent.objects.get(action="admin.add", object_type="otp_static.staticdevice")
    token = AuditEvent.objects.get(action="admin.add", object_type="otp_static.statictoken")
    assert device.changes["user_id"] == [None, bertil.pk]
    assert token.changes["token"] == [None, "(hidden)"]
    assert "kodsecret" not in str(token.changes) + token.object_label
