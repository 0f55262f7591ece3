"""Demo data across two years of calls, and the funding figures computed from it."""

from __future__ import annotations

import random
from io import StringIO

import pytest

from studienav.core import demo as core_demo
from studienav.funding import demo, figures
from studienav.funding.models import (
    Application,
    ApplicationState,
    Call,
    ConflictDeclaration,
    Decision,
    FollowUpReport,
    Review,
)
from studienav.stats.framework import Filters, figure_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_loaded(time_machine: object) -> None:
    core_demo.demo_data_load(rng=random.Random(1), options={"quiet": True}, stdout=StringIO())
    demo.demo_data_load(rng=random.Random(1), options={"quiet": True}, stdout=StringIO())


def test_demo_has_two_decided_years_and_an_open_call(demo_loaded: None) -> None:
    assert set(Call.objects.values_list("reference", flat=True)) == {
        "RFR-2025",
        "RFR-2026",
        "RFR-2027",
    }
    assert Decision.objects.filter(outcome="granted").exists()
    assert Decision.objects.filter(outcome="rejected").exists()
    assert ConflictDeclaration.objects.filter(has_conflict=True).exists()
    assert Review.objects.filter(submitted_at__isnull=False).count() >= 30
    assert FollowUpReport.objects.exists()
    assert {a.language for a in Application.objects.all()} == {"sv", "en"}


def test_demo_applications_span_the_seven_regions(demo_loaded: None) -> None:
    regions = set(Application.objects.values_list("region__code", flat=True))
    regions |= set(Application.objects.values_list("co_applicants__region__code", flat=True))
    assert {"03", "04", "17", "18", "19", "20", "21"} <= regions


def test_demo_conflicted_reviewers_have_no_assignment(demo_loaded: None) -> None:
    for declaration in ConflictDeclaration.objects.filter(has_conflict=True):
        assert not declaration.application.assignments.filter(reviewer=declaration.member).exists()


def test_demo_loads_once(demo_loaded: None) -> None:
    count = Application.objects.count()
    demo.demo_data_load(rng=random.Random(2), options={"quiet": True}, stdout=StringIO())
    assert Application.objects.count() == count


def test_applications_figure_counts_submitted_per_region(demo_loaded: None) -> None:
    table = figures.applications_table(Filters(year_from=2025, year_to=2026))
    assert table.total is not None
    submitted = Application.objects.exclude(state=ApplicationState.DRAFT)
    assert sum(table.total.values) == submitted.count()


def test_success_rate_is_granted_share_of_decided(demo_loaded: None) -> None:
    table = figures.success_rate_table(Filters(year_from=2025, year_to=2025))
    assert table.total is not None
    decided = Application.objects.filter(call__reference="RFR-2025")
    granted = decided.filter(state=ApplicationState.GRANTED).count()
    assert table.total.values == [round(100 * granted / decided.count())]


def test_money_granted_adds_up_over_the_regions(demo_loaded: None) -> None:
    money = figures.money_granted_by_region()
    granted = sum(d.amount for d in Decision.objects.filter(outcome="granted"))
    assert abs(sum(money.values()) - granted) <= len(money)


def test_outputs_per_million_count_studies_and_publications(demo_loaded: None) -> None:
    rows = figures.outputs_per_million_by_year()
    assert rows and all(r["per_million"] is not None for r in rows)
    first = figures.outputs_per_project()[0]
    assert first["outputs"] == first["studies"] + first["publications"]


def test_figures_are_registered_with_definitions() -> None:
    for slug in (
        "funding-applications",
        "funding-success-rate",
        "funding-money-granted",
        "funding-outputs",
    ):
        figure = figure_get(slug)
        assert figure is not None and str(figure.definition.text)
