"""Networks and meetings: members see their own networks only; node office runs them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from studienav.core.errors import PermissionDenied, ValidationFailed
from studienav.core.models import User
from studienav.network import networks
from studienav.network.models import Meeting, Network
from studienav.network.selectors import networks_visible_to
from tests.network.factories import MeetingFactory, MemberFactory, NetworkFactory


@pytest.fixture
def legal(db: None) -> Network:
    return NetworkFactory.create(slug="legal", name="Juridiknätverket", name_en="Legal network")


@pytest.fixture
def meeting(legal: Network) -> Meeting:
    return MeetingFactory.create(network=legal, minutes="Avtalsmallen diskuterades.")


def test_a_member_sees_their_network_and_its_meetings(
    client: Client, signed_in: Any, anna: User, legal: Network, meeting: Meeting
) -> None:
    MemberFactory.create(network=legal, user=anna, email=anna.email, full_name=anna.full_name)
    signed_in(client, anna)
    assert client.get(reverse("network:network", args=["legal"])).status_code == 200
    page = client.get(reverse("network:meeting", args=[meeting.pk])).content.decode()
    assert "Avtalsmallen diskuterades." in page


def test_someone_added_by_email_sees_the_network_once_they_have_an_account(
    anna: User, legal: Network
) -> None:
    MemberFactory.create(network=legal, email="ANNA@test.example")
    assert list(networks_visible_to(anna)) == [legal]


def test_a_non_member_gets_404_for_the_network_and_its_meeting(
    client: Client, signed_in: Any, bertil: User, legal: Network, meeting: Meeting
) -> None:
    signed_in(client, bertil)
    assert client.get(reverse("network:network", args=["legal"])).status_code == 404
    assert client.get(reverse("network:meeting", args=[meeting.pk])).status_code == 404


def test_a_member_who_left_no_longer_sees_the_network(anna: User, legal: Network) -> None:
    MemberFactory.create(network=legal, user=anna, email=anna.email, left_on=date(2025, 1, 1))
    assert not networks_visible_to(anna).exists()


def test_node_office_sees_every_network(cecilia: User, legal: Network) -> None:
    NetworkFactory.create()
    assert networks_visible_to(cecilia).count() == 2


def test_only_node_office_adds_members(bertil: User, cecilia: User, legal: Network) -> None:
    with pytest.raises(PermissionDenied):
        networks.member_add(by=bertil, network=legal, full_name="X", email="x@test.example")
    member = networks.member_add(
        by=cecilia, network=legal, full_name="Jurist Jansson", email="jurist@test.example"
    )
    assert member.user is None
    with pytest.raises(ValidationFailed) as error:
        networks.member_add(by=cecilia, network=legal, full_name="J", email="JURIST@test.example")
    assert error.value.field == "email"


def test_a_member_cannot_edit_a_meeting(
    client: Client, signed_in: Any, anna: User, legal: Network, meeting: Meeting
) -> None:
    MemberFactory.create(network=legal, user=anna, email=anna.email)
    signed_in(client, anna)
    response = client.post(
        reverse("network:meeting_edit", args=["legal", meeting.pk]),
        {"title": "Hijacked", "starts_at": "2025-02-10T10:00"},
    )
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "Nätverksmöte"


def test_an_action_belongs_to_a_member_who_closes_it(
    anna: User, bertil: User, cecilia: User, legal: Network, meeting: Meeting
) -> None:
    owner = MemberFactory.create(network=legal, user=anna, email=anna.email)
    action = networks.action_add(
        by=cecilia, meeting=meeting, text="Skicka mallen", owner=owner, due_on=date(2025, 3, 1)
    )
    with pytest.raises(PermissionDenied):
        networks.action_complete(by=bertil, action=action)
    networks.action_complete(by=anna, action=action)
    action.refresh_from_db()
    assert action.done_on is not None


def test_an_action_owner_must_be_a_member_of_the_network(
    cecilia: User, legal: Network, meeting: Meeting
) -> None:
    stranger = MemberFactory.create()
    with pytest.raises(ValidationFailed):
        networks.action_add(
            by=cecilia, meeting=meeting, text="X", owner=stranger, due_on=date(2025, 3, 1)
        )


def test_node_office_writes_minutes_with_an_audit_event(
    client: Client, signed_in: Any, cecilia: User, legal: Network, meeting: Meeting
) -> None:
    from studienav.core.models import AuditEvent

    signed_in(client, cecilia)
    response = client.post(
        reverse("network:meeting_edit", args=["legal", meeting.pk]),
        {"title": "Möte 2", "starts_at": "2025-02-10T10:00", "minutes": "Beslut togs."},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes == "Beslut togs."
    assert AuditEvent.objects.filter(action="meeting.update").exists()
