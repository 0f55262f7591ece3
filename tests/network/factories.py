"""Factories of network activity: courses, sessions, registrations, networks, documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory

from studienav.network.models import (
    Course,
    CourseKind,
    CourseSession,
    Meeting,
    Network,
    NetworkMember,
    Registration,
    RegistrationState,
)


class CourseFactory(factory.django.DjangoModelFactory[Course]):
    class Meta:
        model = Course

    kind = CourseKind.GCP_BASIC
    name = "GCP grundkurs"
    name_en = "GCP basic course"
    description = "Grundkurs i god klinisk sed."
    validity_months = 36


class SessionFactory(factory.django.DjangoModelFactory[CourseSession]):
    class Meta:
        model = CourseSession

    course = factory.SubFactory(CourseFactory)
    starts_at = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timedelta(hours=7))
    place = "Akademiska sjukhuset, Uppsala"
    seats = 2
    audience = "Prövare och forskningssjuksköterskor"


class RegistrationFactory(factory.django.DjangoModelFactory[Registration]):
    class Meta:
        model = Registration

    session = factory.SubFactory(SessionFactory)
    full_name = factory.Sequence(lambda n: f"Deltagare {n}")
    email = factory.Sequence(lambda n: f"deltagare{n}@test.example")
    state = RegistrationState.CONFIRMED
    link_key = factory.Sequence(lambda n: f"key{n:08d}")


class NetworkFactory(factory.django.DjangoModelFactory[Network]):
    class Meta:
        model = Network

    slug = factory.Sequence(lambda n: f"network-{n}")
    name = factory.Sequence(lambda n: f"Nätverk {n}")
    name_en = factory.Sequence(lambda n: f"Network {n}")


class MemberFactory(factory.django.DjangoModelFactory[NetworkMember]):
    class Meta:
        model = NetworkMember

    network = factory.SubFactory(NetworkFactory)
    full_name = factory.Sequence(lambda n: f"Medlem {n}")
    email = factory.Sequence(lambda n: f"medlem{n}@test.example")


class MeetingFactory(factory.django.DjangoModelFactory[Meeting]):
    class Meta:
        model = Meeting

    network = factory.SubFactory(NetworkFactory)
    title = "Nätverksmöte"
    starts_at = datetime(2025, 2, 10, 9, 0, tzinfo=UTC)
    agenda = "1. Inledning\n2. Rapporter"
