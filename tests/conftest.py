"""Fixtures shared by every test: the named people, signed-in clients, a clean baseline."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY

from studienav.core.models import Region, Role, User
from studienav.core.places import place_index_reset
from studienav.core.reference import reference_data_load
from studienav.core.triggers import append_only_install, append_only_remove
from tests.factories import OrganisationFactory, RoleFactory, UserFactory, totp_device

# One audit key here and in the commands tests start; no developer's own anchors are read.
os.environ["AUDIT_KEYS"] = "test:audit-key-of-the-test-suite-0123456789"
settings.AUDIT_KEYS = [os.environ["AUDIT_KEYS"]]
settings.AUDIT_ANCHOR_DIR = Path(tempfile.gettempdir()) / "studienav-tests-have-no-anchors"


def _uses_database(request: pytest.FixtureRequest) -> str | None:
    names = set(request.fixturenames)
    if names & {"transactional_db", "live_server"}:
        return "transactional"
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return "transactional"
    if marker is not None or "db" in names:
        return "db"
    return None


@pytest.fixture(autouse=True)
def _database_baseline(request: pytest.FixtureRequest) -> Iterator[None]:
    """Reference data and append-only triggers present; dropped only so a flush can empty."""
    kind = _uses_database(request)
    if kind is None:
        yield
        return
    request.getfixturevalue("transactional_db" if kind == "transactional" else "db")
    append_only_install(connection)
    if not Region.objects.exists():
        reference_data_load()
        place_index_reset()
    yield
    if kind == "transactional":
        # Django empties the tables after a transactional test; the triggers would refuse it.
        append_only_remove(connection)


@pytest.fixture(autouse=True)
def _swedish_by_default() -> Iterator[None]:
    """Each test starts in Swedish: a request in an earlier test may have left English active."""
    translation.activate("sv")
    yield
    translation.deactivate()


@pytest.fixture
def english() -> Iterator[None]:
    """Run a test in English: for tests that compare English messages or pages."""
    with translation.override("en"):
        yield


@pytest.fixture
def uppsala() -> Region:
    return Region.objects.get(code="03")


@pytest.fixture
def orebro() -> Region:
    return Region.objects.get(code="18")


@pytest.fixture
def anna(db: None, uppsala: Region) -> User:
    """Researcher at a hospital in Uppsala."""
    user = UserFactory.create(email="anna@test.example", full_name="Anna Berg")
    hospital = OrganisationFactory.create(name="Akademiska sjukhuset", region=uppsala)
    RoleFactory.create(user=user, role=Role.RESEARCHER, organisation=hospital)
    return user


@pytest.fixture
def bertil(db: None, orebro: Region) -> User:
    """Node coordinator for Region Örebro län."""
    user = UserFactory.create(email="bertil@test.example", full_name="Bertil Ek")
    RoleFactory.create(user=user, role=Role.NODE_COORDINATOR, region=orebro)
    return user


@pytest.fixture
def cecilia(db: None) -> User:
    """Node office: runs the whole node."""
    user = UserFactory.create(email="cecilia@test.example", full_name="Cecilia Åberg")
    RoleFactory.create(user=user, role=Role.NODE_OFFICE)
    return user


@pytest.fixture
def david(db: None) -> User:
    """Sponsor at a company."""
    user = UserFactory.create(email="david@test.example", full_name="David Strand")
    company = OrganisationFactory.create(name="Läkemedel AB", type="company")
    RoleFactory.create(user=user, role=Role.SPONSOR, organisation=company)
    return user


@pytest.fixture
def signed_in() -> Callable[[Client, User], Client]:
    """Sign a person in with their second factor passed, as after a real sign-in."""

    def sign_in(client: Client, user: User) -> Client:
        client.force_login(user)
        device = totp_device(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return sign_in


@pytest.fixture
def shared_cache(tmp_path: Path) -> Iterator[None]:
    """A cache the workers would share (files here, Redis in production): with it, search
    answers, public pages and the API's reads are kept until the index changes."""
    location = str(tmp_path / "shared-cache")
    backend = "django.core.cache.backends.filebased.FileBasedCache"
    with override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": location}}):
        yield
