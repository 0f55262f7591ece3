"""Role rules: each one tested with the person who may and with one who may not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from studienav.core import services
from studienav.core.errors import PermissionDenied
from studienav.core.models import AuditEvent, Region, Role, RoleAssignment, User
from studienav.core.selectors import regions_where, users_visible_to
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db
SignIn = Callable[[Client, User], Client]


@pytest.fixture
def orebro_nurse(orebro: Region) -> User:
    nurse = UserFactory.create(email="nurse.orebro@test.example")
    RoleFactory.create(user=nurse, role=Role.DISCLOSURE_OFFICER, region=orebro)
    return nurse


@pytest.fixture
def uppsala_officer(uppsala: Region) -> User:
    officer = UserFactory.create(email="officer.uppsala@test.example")
    RoleFactory.create(user=officer, role=Role.DISCLOSURE_OFFICER, region=uppsala)
    return officer


def test_node_office_sees_people_page(client: Client, cecilia: User, signed_in: SignIn) -> None:
    signed_in(client, cecilia)
    assert client.get(reverse("core:people")).status_code == 200


@pytest.mark.parametrize("person", ["anna", "bertil", "david"])
def test_others_do_not_see_people_page(
    client: Client, signed_in: SignIn, person: str, request: pytest.FixtureRequest
) -> None:
    signed_in(client, request.getfixturevalue(person))
    assert client.get(reverse("core:people")).status_code == 404


def test_coordinator_sees_people_of_own_region_only(
    client: Client, bertil: User, orebro_nurse: User, uppsala_officer: User, signed_in: SignIn
) -> None:
    assert set(users_visible_to(bertil)) == {bertil, orebro_nurse}
    signed_in(client, bertil)
    assert client.get(reverse("core:person", args=[orebro_nurse.pk])).status_code == 200
    assert client.get(reverse("core:person", args=[uppsala_officer.pk])).status_code == 404


def test_coordinator_cannot_grant_roles(
    client: Client, bertil: User, orebro_nurse: User, signed_in: SignIn
) -> None:
    signed_in(client, bertil)
    response = client.post(
        reverse("core:person", args=[orebro_nurse.pk]), {"role": Role.NODE_OFFICE}
    )
    assert response.status_code == 404
    assert not RoleAssignment.objects.filter(user=orebro_nurse, role=Role.NODE_OFFICE).exists()
    with pytest.raises(PermissionDenied):
        services.role_grant(by=bertil, user=orebro_nurse, role=Role.NODE_OFFICE)


def test_researcher_cannot_invite(anna: User) -> None:
    with pytest.raises(PermissionDenied):
        services.user_invite(by=anna, email="x@test.example", full_name="X", role=Role.RESEARCHER)


def test_node_office_grants_and_revokes_with_reason(
    client: Client, cecilia: User, orebro_nurse: User, uppsala: Region, signed_in: SignIn
) -> None:
    signed_in(client, cecilia)
    url = reverse("core:person", args=[orebro_nurse.pk])
    missing_region = client.post(url, {"role": Role.NODE_COORDINATOR})
    assert missing_region.status_code == 422
    assert "region" in missing_region.context["form"].errors
    granted = client.post(url, {"role": Role.NODE_COORDINATOR, "region": uppsala.pk})
    assert granted.status_code == 302
    assignment = RoleAssignment.objects.get(user=orebro_nurse, role=Role.NODE_COORDINATOR)
    assert list(regions_where(orebro_nurse, Role.NODE_COORDINATOR)) == [uppsala]
    client.post(reverse("core:role_revoke", args=[assignment.pk]), {"reason": ""})
    assignment.refresh_from_db()
    assert assignment.is_active  # no reason, no change
    client.post(reverse("core:role_revoke", args=[assignment.pk]), {"reason": "left the post"})
    assignment.refresh_from_db()
    assert not assignment.is_active
    assert AuditEvent.objects.filter(action="role.revoke", reason="left the post").exists()


def test_history_is_for_node_office(
    client: Client, cecilia: User, bertil: User, signed_in: SignIn
) -> None:
    services.user_update_profile(user=bertil, full_name="Bertil Ek", phone="1", language="sv")
    url = reverse("core:history", args=["core.user", bertil.pk])
    signed_in(client, bertil)
    assert client.get(url).status_code == 404
    signed_in(client, cecilia)
    page = client.get(url)
    assert page.status_code == 200
    assert "user.update_profile" in page.content.decode()
    csv = client.get(url, {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "user.update_profile" in csv.content.decode()


def test_dashboard_shows_each_role_its_own_work(
    client: Client, cecilia: User, bertil: User, signed_in: SignIn
) -> None:
    signed_in(client, bertil)
    page = client.get(reverse("core:dashboard")).content.decode()
    assert "Örebro" in page
    assert reverse("core:people") not in page
    signed_in(client, cecilia)
    assert reverse("core:people") in client.get(reverse("core:dashboard")).content.decode()


def test_staff_pages_are_never_cached(client: Client, bertil: User, signed_in: SignIn) -> None:
    signed_in(client, bertil)
    response = client.get(reverse("core:profile"))
    assert "no-store" in response["Cache-Control"]


def test_profile_change_sets_language_and_is_audited(
    client: Client, bertil: User, signed_in: SignIn
) -> None:
    signed_in(client, bertil)
    response = client.post(
        reverse("core:profile"), {"full_name": "Bertil Ek", "phone": "019-1", "language": "en"}
    )
    assert response.status_code == 302
    bertil.refresh_from_db()
    assert bertil.language == "en"
    assert AuditEvent.objects.filter(action="user.update_profile", actor=bertil).exists()


def test_profile_rejects_an_empty_name_with_the_field_named(
    client: Client, bertil: User, signed_in: SignIn
) -> None:
    signed_in(client, bertil)
    response = client.post(reverse("core:profile"), {"full_name": "", "language": "sv"})
    assert response.status_code == 422
    assert "full_name" in response.context["form"].errors
