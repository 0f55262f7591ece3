"""Funding fixtures: an open call, the committee, and an application built through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from studienav.core.models import Organisation, Region, Role, User
from studienav.funding import services
from studienav.funding.models import Application, Call
from tests.factories import OrganisationFactory, RoleFactory, UserFactory

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 15, 14, 0, tzinfo=UTC)
AFTER_DEADLINE = DEADLINE + timedelta(days=3)


@pytest.fixture(autouse=True)
def _media_and_clock(settings: Any, tmp_path: Path, time_machine: Any) -> None:
    """Files in a temporary folder; the clock at 2026-11-24, three weeks before the deadline."""
    settings.MEDIA_ROOT = tmp_path / "media"
    time_machine.move_to(NOW)


def pdf_upload(name: str = "cv.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def call_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": "RFR-2027",
        "title_sv": "Forskningsrådets utlysning 2027",
        "title_en": "Research council call 2027",
        "text_sv": "Medel för forskning i minst två regioner.",
        "text_en": "Funds for research in at least two regions.",
        "opens_on": date(2026, 11, 1),
        "closes_at": DEADLINE,
        "decision_on": date(2027, 2, 1),
        "min_regions": 2,
        "budget_per_year": 500_000,
        "budget_total": 900_000,
        "max_years": 2,
        "first_year": 2027,
        "sections": [
            {"key": "patients", "title_sv": "Patientmedverkan", "title_en": "Patient involvement"}
        ],
        "criteria": [
            {"key": "quality", "title_sv": "Kvalitet", "title_en": "Quality"},
            {"key": "relevance", "title_sv": "Nytta", "title_en": "Relevance"},
        ],
        "required_documents": [{"key": "cv", "title_sv": "CV", "title_en": "CV"}],
    }
    data.update(overrides)
    return data


@pytest.fixture
def open_call(cecilia: User) -> Call:
    call = services.call_create(by=cecilia, data=call_data())
    return services.call_publish(by=cecilia, call=call)


def organisation_of(user: User) -> Organisation:
    role = user.roles.get(role=Role.RESEARCHER)
    assert role.organisation is not None
    return role.organisation


@pytest.fixture
def olle(db: None, orebro: Region) -> User:
    """Researcher at the university hospital in Örebro: anna's co-applicant."""
    user = UserFactory.create(email="olle@test.example", full_name="Olle Holm")
    hospital = OrganisationFactory.create(name="Universitetssjukhuset Örebro", region=orebro)
    RoleFactory.create(user=user, role=Role.RESEARCHER, organisation=hospital)
    return user


@pytest.fixture
def kim(db: None) -> User:
    """Chair of the priority committee."""
    user = UserFactory.create(email="kim@test.example", full_name="Kim Chair")
    RoleFactory.create(user=user, role=Role.FUNDING_CHAIR)
    return user


def reviewer(email: str, name: str, organisation: Organisation | None = None) -> User:
    user = UserFactory.create(email=email, full_name=name)
    RoleFactory.create(user=user, role=Role.FUNDING_REVIEWER)
    if organisation is not None:
        RoleFactory.create(user=user, role=Role.RESEARCHER, organisation=organisation)
    return user


@pytest.fixture
def rita(db: None) -> User:
    return reviewer("rita@test.example", "Rita Rapportör")


@pytest.fixture
def rolf(db: None) -> User:
    return reviewer("rolf@test.example", "Rolf Granskare")


@pytest.fixture
def conny(anna: User) -> User:
    """A reviewer who works at anna's hospital: conflicted."""
    return reviewer("conny@test.example", "Conny Jäv", organisation_of(anna))


def draft_application(call: Call, anna: User, olle: User, *, confirm: bool = True) -> Application:
    """A complete draft: texts, a confirmed co-applicant in Örebro, a budget and the CV."""
    application = services.application_start(
        by=anna,
        call=call,
        title="Early mobilisation after hip fracture",
        organisation=organisation_of(anna),
        language="en",
    )
    services.application_update(
        by=anna,
        application=application,
        data={
            "description": "Secret description of the mobilisation project.",
            "plan": "Year 1 recruit, year 2 follow up.",
            "section_texts": {"patients": "The patient council plans with us."},
        },
    )
    co = services.co_applicant_invite(
        by=anna,
        application=application,
        name="Olle Holm",
        email=olle.email,
        organisation=organisation_of(olle),
    )
    if confirm:
        services.co_applicant_confirm(co_applicant=co, by=olle)
    uppsala = application.region
    orebro = organisation_of(olle).region
    assert orebro is not None
    services.budget_set(
        by=anna,
        application=application,
        entries=[
            services.BudgetEntry(region=uppsala, year=2027, amount=200_000),
            services.BudgetEntry(region=orebro, year=2027, amount=150_000),
            services.BudgetEntry(region=uppsala, year=2028, amount=200_000),
        ],
    )
    services.attachment_add(
        by=anna, application=application, document_key="cv", upload=pdf_upload()
    )
    return application


@pytest.fixture
def submitted(open_call: Call, anna: User, olle: User) -> Application:
    application = draft_application(open_call, anna, olle)
    return services.application_submit(by=anna, application=application)


@pytest.fixture
def in_review(
    submitted: Application, kim: User, rita: User, rolf: User, conny: User, time_machine: Any
) -> Application:
    """After the deadline: rita (rapporteur), rolf and conny assigned; conny declares a
    conflict; rita and rolf declare none."""
    time_machine.move_to(AFTER_DEADLINE)
    services.reviewers_assign(
        by=kim, application=submitted, reviewers=[rita, rolf, conny], rapporteur=rita
    )
    services.conflict_declare(
        by=conny, application=submitted, has_conflict=True, kind="organisation"
    )
    for person in (rita, rolf):
        services.conflict_declare(by=person, application=submitted, has_conflict=False)
    return submitted


def score(
    application: Application,
    who: User,
    quality: int,
    relevance: int,
    feasibility: int,
    submit: bool = True,
) -> None:
    assignment = application.assignments.get(reviewer=who)
    services.review_save(
        by=who,
        assignment=assignment,
        scores={"quality": quality, "relevance": relevance},
        feasibility=feasibility,
        comments=f"Comments by {who.full_name}",
        submit=submit,
    )


def now() -> datetime:
    return timezone.now()
