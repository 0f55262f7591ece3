"""Small hand-checked data sets for the statistics: studies, sites in regions, enrolment reports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.cache import cache

from studienav.core.models import Organisation, Region
from studienav.registry.models import EnrolmentReport, Site, Study, StudyIdentifier, StudyState
from tests.factories import OrganisationFactory

MakeStudy = Callable[..., Study]
TODAY = date(2025, 6, 15)


@pytest.fixture(autouse=True)
def _frozen_today() -> Iterator[None]:
    """The statistics depend on today's date (ongoing studies, reference days): fix it.

    Kept figures are keyed by the refresh's id and finish time, which frozen time and rolled
    back ids make the same in every test: each test starts with an empty cache.
    """
    cache.clear()
    with time_machine.travel(TODAY, tick=False):
        yield
    cache.clear()


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def add_site(
    study: Study,
    code: str,
    *,
    opened: date | None = None,
    reports: list[tuple[date, int]] = (),  # type: ignore[assignment]
    organisation: Organisation | None = None,
) -> Site:
    where = region(code)
    organisation = organisation or OrganisationFactory.create(region=where)
    site = Site.objects.create(
        study=study, organisation=organisation, region=where, start_date=opened
    )
    for reported_on, value in reports:
        EnrolmentReport.objects.create(site=site, reported_on=reported_on, actual_enrolment=value)
    return site


@pytest.fixture
def make_study(db: None) -> MakeStudy:
    """A published study with sites: make_study(sites=[("03", date(2019, 3, 1))], ...)."""

    def make(
        *,
        sites: list[tuple[str, date | None]] = (),  # type: ignore[assignment]
        nct: str = "",
        **fields: Any,
    ) -> Study:
        values: dict[str, Any] = {
            "public_title": "Studie",
            "state": StudyState.PUBLISHED,
            "study_type": "drug",
            "sponsor_type": "academic",
            "overall_status": "recruiting",
        }
        values.update(fields)
        study = Study.objects.create(**values)
        for code, opened in sites:
            add_site(study, code, opened=opened)
        if nct:
            StudyIdentifier.objects.create(study=study, scheme="nct", value=nct, is_primary=True)
        return study

    return make
