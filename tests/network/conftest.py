"""Network fixtures: a course leader, a GCP session in the future, files in a temp dir."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from studienav.core.models import Role, User
from studienav.network.models import CourseSession
from tests.factories import RoleFactory, UserFactory
from tests.network.factories import SessionFactory

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _media_and_clock(settings: Any, tmp_path: Path, time_machine: Any) -> None:
    """Files in a temporary folder; the clock at Monday 2025-03-03 10:00 in Stockholm."""
    settings.MEDIA_ROOT = tmp_path / "media"
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def lena(db: None) -> User:
    """Course leader of the node's GCP courses."""
    user = UserFactory.create(email="lena@test.example", full_name="Lena Holm")
    RoleFactory.create(user=user, role=Role.COURSE_LEADER)
    return user


@pytest.fixture
def session(lena: User) -> CourseSession:
    """A GCP basic course on 2025-03-20 with two seats, led by Lena."""
    return SessionFactory.create(leader=lena)


def mails_to(address: str) -> list[Any]:
    """The e-mails written to the outbox for `address` (its fields are encrypted at rest)."""
    from studienav.core.models import OutboxMessage

    return [m for m in OutboxMessage.objects.order_by("id") if m.to == address]
