"""The demo data: every role in every region of the node, idempotent, development only."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from studienav.core.models import Organisation, Role, RoleAssignment, User
from studienav.core.selectors import node_regions

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_demo_data_has_every_role_in_every_region_and_runs_twice() -> None:
    out = StringIO()
    call_command("demo_data", stdout=out)
    counts = (User.objects.count(), Organisation.objects.count(), RoleAssignment.objects.count())
    call_command("demo_data", "--quiet")
    assert (
        User.objects.count(),
        Organisation.objects.count(),
        RoleAssignment.objects.count(),
    ) == counts
    for region in node_regions():
        for role in (Role.NODE_COORDINATOR, Role.DISCLOSURE_OFFICER):
            assert RoleAssignment.objects.filter(role=role, region=region).exists(), (role, region)
        for role in (Role.RESEARCHER, Role.SITE_STAFF):
            assert RoleAssignment.objects.filter(role=role, organisation__region=region).exists()
        assert Organisation.objects.filter(region=region, type="hospital").exists()
    assert Organisation.objects.filter(
        name="Akademiska sjukhuset", municipality__code="0380"
    ).exists()
    printed = out.getvalue()
    assert "bertil@demo.example" in printed and "Studienav-demo-2026" in printed


@override_settings(DEBUG=False)
def test_demo_data_refuses_when_debug_is_off() -> None:
    with pytest.raises(CommandError):
        call_command("demo_data")
    assert not User.objects.exists()
