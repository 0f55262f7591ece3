"""Disclosure fixtures: officers per region, a complete draft, a request submitted to all seven."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studienav.core.models import Region, Role, User
from studienav.core.selectors import node_regions
from studienav.disclosure import casework, services
from studienav.disclosure.models import (
    Condition,
    DecisionKind,
    DisclosureRequest,
    HarmOutcome,
    RegionCase,
)
from tests.factories import RoleFactory, UserFactory

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _private_dir_and_clock(settings: Any, tmp_path: Path, time_machine: Any) -> None:
    """Files in a temporary folder; the clock at Tuesday 2026-11-24 10:00 in Stockholm."""
    settings.DISCLOSURE_PRIVATE_DIR = tmp_path / "private"
    time_machine.move_to(NOW)


def pdf_upload(name: str = "decision.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def officer(region: Region, name: str | None = None) -> User:
    """The region's disclosure officer (made once per region)."""
    slug = region.short_name.lower().replace(" ", "")
    user = UserFactory.create(
        email=f"officer.{region.code}@test.example", full_name=name or f"Handläggare {slug}"
    )
    RoleFactory.create(user=user, role=Role.DISCLOSURE_OFFICER, region=region)
    return user


@pytest.fixture
def olle(db: None, uppsala: Region) -> User:
    """Disclosure officer of Region Uppsala."""
    return officer(uppsala, "Olle Uppsala")


@pytest.fixture
def otto(db: None, orebro: Region) -> User:
    """Disclosure officer of Region Örebro län."""
    return officer(orebro, "Otto Örebro")


@pytest.fixture
def bengt(db: None) -> User:
    """Another researcher: must never see Anna's requests."""
    user = UserFactory.create(email="bengt@test.example", full_name="Bengt Nord")
    RoleFactory.create(user=user, role=Role.RESEARCHER)
    return user


def request_data(anna: User, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Patellafrakturer: demografi, resultat och reoperationer",
        "organisation": anna.roles.get(role=Role.RESEARCHER).organisation,
        "purpose": "Kohortstudie på 9000 patellafrakturer 2011–2023 från Svenska Frakturregistret.",
        "legal_basis": "public_interest",
        "is_pseudonymised": True,
        "key_holder": "Frakturregistret, Göteborg",
        "delivery_format": "dicom",
        "secure_channel": "sftp",
        "retain_until": date(2036, 12, 31),
        "deletion_plan": "Raderas tio år efter studiens slut enligt arkivplan.",
        "accepted_conditions": list(Condition.values),
    }
    data.update(overrides)
    return data


WANTED = {
    "registers": "RIS/PACS (röntgenbilder), Svenska Frakturregistret",
    "variables": "Röntgenbilder knä före och efter operation, ålder, kön, reoperation",
    "period_start": date(2011, 1, 1),
    "period_end": date(2023, 12, 31),
    "population": "Patienter med patellafraktur (ICD-10 S82.0) registrerade i Frakturregistret",
    "includes_images": True,
    "images": "Röntgenbilder av knä, omkring 9000 patienter i alla regioner",
}


@pytest.fixture
def draft(anna: User) -> DisclosureRequest:
    """Anna's complete draft, with data wanted from every region of the node."""
    request = services.request_create(by=anna, data=request_data(anna))
    services.ethics_approval_add(
        by=anna,
        request=request,
        case_number="2023-01234-01",
        decided_on=date(2023, 6, 1),
        decision_pdf=pdf_upload(),
    )
    services.data_wanted_set(by=anna, request=request, regions=list(node_regions()), data=WANTED)
    return request


@pytest.fixture
def submitted(draft: DisclosureRequest, anna: User) -> DisclosureRequest:
    services.request_submit(by=anna, request=draft)
    draft.refresh_from_db()
    return draft


def case_of(request: DisclosureRequest, region: Region) -> RegionCase:
    return request.cases.get(region=region)


def assess(case: RegionCase, by: User, outcome: str = HarmOutcome.CONDITIONS) -> None:
    if case.state == "received":
        casework.case_assign(by=by, case=case, handler=by)
    casework.case_assess(
        by=by,
        case=case,
        data_concerned="Röntgenbilder och registeruppgifter",
        harm_test="Pseudonymiserade uppgifter; risk för identifiering bedöms liten.",
        outcome=outcome,
        legal_basis_checked=True,
        ethics_covers=True,
        internal_notes="Intern anteckning: ringde kliniken om bildformatet.",
    )


def decide(case: RegionCase, by: User, kind: str = DecisionKind.CONDITIONS) -> None:
    assess(case, by)
    casework.case_decide(
        by=by,
        case=case,
        kind=kind,
        conditions="Uppgifterna får inte lämnas vidare." if kind == "conditions" else "",
        reasons="Risk för identifiering." if kind in ("reject", "in_part") else "",
        scope="Bara bilder 2015–2023." if kind == "in_part" else "",
    )
