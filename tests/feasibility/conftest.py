"""Study-request fixtures: a submitted request, coordinators, recipients, files in a temp dir."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studienav.core.models import Organisation, Region, Role, User
from studienav.feasibility import services
from studienav.feasibility.models import Recipient, RegionPart, StudyRequest
from tests.factories import OrganisationFactory, RoleFactory, UserFactory

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _media_and_clock(settings: Any, tmp_path: Path, time_machine: Any) -> None:
    """Files in a temporary folder; the clock at Tuesday 2026-11-24 10:00 in Stockholm."""
    settings.MEDIA_ROOT = tmp_path / "media"
    time_machine.move_to(NOW)


def request_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "site",
        "contact_name": "David Strand",
        "contact_email": "david@test.example",
        "title": "Secret compound X-123 in heart failure",
        "therapeutic_area": "IX",
        "indication": "Heart failure with preserved ejection fraction",
        "study_type": "drug",
        "phase": "3",
        "intervention": "X-123",
        "ce_marked": None,
        "inclusion_criteria": "Adults with HFpEF",
        "exclusion_criteria": "",
        "sites_wanted": 3,
        "patients_wanted": 60,
        "planned_start": date(2027, 3, 1),
        "recruitment_months": 18,
        "suggested_sites": "",
        "answer_deadline": date(2026, 12, 18),
        "confidentiality": "confidential",
    }
    data.update(overrides)
    return data


def pdf_upload(name: str = "synopsis.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def sponsor_organisation(user: User) -> Organisation:
    assignment = user.roles.get(role=Role.SPONSOR)
    assert assignment.organisation is not None
    return assignment.organisation


@pytest.fixture
def ulla(db: None, uppsala: Region) -> User:
    """Node coordinator for Region Uppsala."""
    user = UserFactory.create(email="ulla@test.example", full_name="Ulla Lindqvist")
    RoleFactory.create(user=user, role=Role.NODE_COORDINATOR, region=uppsala)
    return user


@pytest.fixture
def erik(db: None) -> User:
    """Sponsor at another company: must never see David's requests."""
    user = UserFactory.create(email="erik@test.example", full_name="Erik Holm")
    company = OrganisationFactory.create(name="Annat Bolag AB", type="company")
    RoleFactory.create(user=user, role=Role.SPONSOR, organisation=company)
    return user


@pytest.fixture
def submitted(david: User) -> StudyRequest:
    """David's request, submitted through the site with a synopsis, on 2026-11-24."""
    return services.request_submit(
        by=david,
        organisation=sponsor_organisation(david),
        data=request_data(),
        attachments=[pdf_upload()],
    )


@pytest.fixture
def forwarded(submitted: StudyRequest, cecilia: User, uppsala: Region) -> RegionPart:
    """The request forwarded to Uppsala only."""
    parts = services.request_forward(by=cecilia, request=submitted, regions=[uppsala])
    return parts[0]


@pytest.fixture
def asked(forwarded: RegionPart, ulla: User, anna: User) -> list[Recipient]:
    """Ulla asks Anna (an account) and a clinic by e-mail only."""
    return services.recipients_select(
        by=ulla,
        part=forwarded,
        choices=[
            services.RecipientChoice(name="Anna Berg", email="anna@test.example"),
            services.RecipientChoice(name="Kardiologkliniken", email="kardio@test.example"),
        ],
    )
