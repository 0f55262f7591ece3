"""Studies, coordinators and registrations for the participation tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

from studienav.core.models import Municipality, Region, Role, User
from studienav.participation.models import ExpressionOfInterest, InterestKind
from studienav.participation.services import PersonData, consent_text_current, interest_register
from studienav.registry.models import (
    OverallStatus,
    Site,
    SiteStatus,
    Study,
    StudyCondition,
    StudyState,
)
from studienav.search.index import search_index_study
from tests.factories import OrganisationFactory, RoleFactory, UserFactory


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Rate-limit counters and used sign-in tokens must not leak between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ulla(db: None, uppsala: Region) -> User:
    """Node coordinator for Region Uppsala."""
    user = UserFactory.create(email="ulla@test.example", full_name="Ulla Holm")
    RoleFactory.create(user=user, role=Role.NODE_COORDINATOR, region=uppsala)
    return user


def municipality(code: str) -> Municipality:
    return Municipality.objects.get(code=code)


StudyMaker = Callable[..., Study]


@pytest.fixture
def make_study(db: None) -> StudyMaker:
    """A published, recruiting study with one recruiting site per given municipality code."""

    def make(
        title: str = "Studie",
        *,
        conditions: list[tuple[str, str]] | None = None,
        sites: list[str] | None = None,
        min_age: int | None = None,
        max_age: int | None = None,
        sex: str = "all",
        healthy: bool = False,
        state: str = StudyState.PUBLISHED,
        keywords: list[str] | None = None,
    ) -> Study:
        study = Study.objects.create(
            public_title=title,
            public_title_en=title,
            summary_sv="Sammanfattning",
            study_type="drug",
            sponsor_type="academic",
            state=state,
            overall_status=OverallStatus.RECRUITING,
            min_age_years=min_age,
            max_age_years=max_age,
            sex=sex,
            healthy_volunteers=healthy,
            keywords=keywords or [],
            public_contact_email="studie@test.example",
        )
        for name, code in conditions or []:
            StudyCondition.objects.create(study=study, name=name, icd10=code)
        for code in sites or ["0380"]:
            place = municipality(code)
            organisation = OrganisationFactory.create(
                name=f"Sjukhuset i {place.name} {study.pk}",
                region=place.region,
                municipality=place,
                latitude=place.latitude,
                longitude=place.longitude,
            )
            Site.objects.create(
                study=study,
                organisation=organisation,
                region=place.region,
                recruitment_status=SiteStatus.RECRUITING,
                contact_email="site@test.example",
            )
        search_index_study(study.pk)  # as the registry's services do after every change
        return study

    return make


def person(**overrides: Any) -> PersonData:
    values: dict[str, Any] = {
        "name": "Eva Lind",
        "email": "eva@test.example",
        "phone": "070-1234567",
        "year_of_birth": 1970,
        "sex": "female",
        "municipality": municipality("1880"),  # Örebro
        "conditions": ["diabetes"],
        "free_text": "Jag har haft diabetes i tio år.",
        "identity_number": "",
    }
    values.update(overrides)
    return PersonData(**values)


RegisterFn = Callable[..., ExpressionOfInterest]


@pytest.fixture
def register(db: None) -> RegisterFn:
    """Register interest as eva (a member of the public in Örebro), confirmed unless told not."""

    def do(
        *,
        kind: str = InterestKind.GENERAL,
        study: Study | None = None,
        confirmed: bool = True,
        notify: bool = True,
        share: bool = True,
        **overrides: Any,
    ) -> ExpressionOfInterest:
        from studienav.participation.services import interest_confirm
        from studienav.participation.tokens import interest_token

        interest = interest_register(
            kind=kind,
            study=study,
            data=person(**overrides),
            consent_text=consent_text_current(kind=kind, language="sv"),
            language="sv",
            notify_new_studies=notify,
            share_for_referral=share,
        )
        if confirmed:
            interest_confirm(token=interest_token(purpose="confirm", interest_id=interest.pk))
            interest.refresh_from_db()
        return interest

    return do
