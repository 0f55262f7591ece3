"""The pre-aggregated counts (FigureCount) give the same tables as the queries on the facts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studienav.registry.models import (
    CareSetting,
    OverallStatus,
    Study,
    StudyState,
    TherapeuticArea,
)
from studienav.stats import cube
from studienav.stats.figures import STUDY_BREAKDOWNS
from studienav.stats.framework import Filters, Table
from studienav.stats.models import FactRefresh, FigureCount
from studienav.stats.queries import (
    participants_by_site,
    participants_by_site_from_facts,
    participants_by_year,
    participants_by_year_from_facts,
    studies_by_year,
    studies_by_year_from_facts,
)
from studienav.stats.refresh import facts_refresh
from tests.stats.conftest import MakeStudy, add_site, region

pytestmark = pytest.mark.django_db
MEASURES = ("ongoing", "started", "completed")
NODE_CODES = ("03", "04", "17", "18", "19", "20", "21")


def shape(table: Table) -> dict[str, Any]:
    assert table.total is not None
    return {
        "columns": table.columns,
        "rows": [(r.key, r.label, r.values) for r in table.rows],
        "total": (table.total.label, table.total.values),
    }


def assert_same_as_facts(filters: Filters) -> None:
    for measure in MEASURES:
        fast = studies_by_year(filters, measure)
        assert shape(fast) == shape(studies_by_year_from_facts(filters, measure)), measure
    if filters.by != "overall_status":
        fast = participants_by_year(filters)
        assert shape(fast) == shape(participants_by_year_from_facts(filters))
    sites = participants_by_site(filters)
    assert shape(sites) == shape(participants_by_site_from_facts(filters))


@pytest.fixture
def hand_data(make_study: MakeStudy) -> None:
    """Three regions opening in different years; a completed industry study in primary care;
    a closed study without an end date; a site opening after the study ended; a correction."""
    three = make_study(
        sites=[("03", date(2019, 3, 1)), ("18", date(2020, 5, 1)), ("19", date(2021, 1, 10))],
        phase="2",
    )
    add_site(three, "03", reports=[(date(2019, 6, 1), 10), (date(2020, 2, 1), 7)])
    make_study(
        sites=[("03", date(2021, 2, 1)), ("18", None)],
        overall_status="completed",
        actual_end_date=date(2022, 6, 30),
        study_type="observational",
        sponsor_type="industry",
        in_primary_care=True,
    )
    make_study(sites=[("20", date(2018, 9, 1))], overall_status="completed")
    late = make_study(
        sites=[("17", date(2020, 1, 1)), ("04", date(2023, 3, 1))],
        overall_status="terminated",
        actual_end_date=date(2021, 2, 1),
        therapeutic_area="II",
    )
    add_site(late, "17", reports=[(date(2020, 5, 1), 3)])
    facts_refresh(full=True)


@pytest.mark.parametrize("by", STUDY_BREAKDOWNS)
@pytest.mark.parametrize("codes", [(), ("03",), ("03", "18"), ("04", "17", "18")])
def test_counts_equal_the_fact_queries_on_hand_checked_data(
    hand_data: None, by: str, codes: tuple[str, ...]
) -> None:
    chosen = tuple(sorted(region(code).pk for code in codes))
    for extra in ({}, {"sponsor_type": "industry"}, {"care_setting": "primary_care"}):
        filters = Filters(year_from=2016, year_to=2025, regions=chosen, by=by, **extra)
        if "care_setting" not in extra or by != "therapeutic_area":
            assert cube.counts(filters, "ongoing", by) is not None  # read from FigureCount
        assert_same_as_facts(filters)


def test_two_chosen_regions_count_a_study_in_both_once_from_the_counts(hand_data: None) -> None:
    chosen = (region("03").pk, region("18").pk)
    filters = Filters(year_from=2021, year_to=2022, regions=chosen)
    table = studies_by_year(filters, "ongoing")
    assert table.total is not None
    assert table.total.values == [2, 2]  # not 4: each study once
    rows = [(r.label, r.values) for r in table.rows]
    assert rows == [("Uppsala", [2, 2]), ("Örebro län", [2, 2])]


def test_node_total_is_its_own_row_not_the_regions(hand_data: None) -> None:
    # The terminated study ended in 2021, before its Sörmland site opened in 2023: that
    # region counts it in 2023, the node (ongoing 2020-2021) does not.
    table = studies_by_year(Filters(year_from=2023, year_to=2023), "ongoing")
    assert table.total is not None
    assert {r.label: r.values for r in table.rows}[region("04").short_name] == [1]
    assert table.total.values == [1]  # the study in three regions only


def test_many_filters_at_once_read_the_facts(hand_data: None) -> None:
    filters = Filters(
        study_type="drug", sponsor_type="academic", phase="2", therapeutic_area="II", by="phase"
    )
    assert cube.counts(filters, "ongoing", "phase") is None
    assert studies_by_year(filters, "ongoing").total is not None


def test_years_after_the_last_refresh_read_the_facts(hand_data: None) -> None:
    filters = Filters(year_from=2024, year_to=2025)
    assert cube.counts(filters, "ongoing", "region") is not None
    FigureCount.objects.all().delete()
    FactRefresh.objects.update(last_year=2024)
    assert cube.counts(filters, "ongoing", "region") is None
    assert studies_by_year(filters, "ongoing").total.values == [1, 1]  # type: ignore[union-attr]


def test_every_level_is_small() -> None:
    for level in cube.LEVELS:
        assert cube._combinations(level) <= cube.MAX_COMBINATIONS


day = st.dates(min_value=date(2014, 1, 1), max_value=date(2025, 6, 1))
site_strategy = st.tuples(
    st.sampled_from((*NODE_CODES, "03", "18", "01")),
    st.none() | day,
    st.lists(st.tuples(st.integers(0, 900), st.integers(0, 40)), max_size=3),
)
study_strategy = st.fixed_dictionaries(
    {
        "state": st.sampled_from([StudyState.PUBLISHED] * 4 + [StudyState.DRAFT]),
        "overall_status": st.sampled_from(
            ["recruiting", "completed", "terminated", *OverallStatus.values]
        ),
        "study_type": st.sampled_from(["drug", "observational"]),
        "sponsor_type": st.sampled_from(["academic", "industry"]),
        "phase": st.sampled_from(["2", "3"]),
        "therapeutic_area": st.sampled_from(["", "I", "II", "IX"]),
        "in_hospital_care": st.booleans(),
        "in_primary_care": st.booleans(),
        "in_dental_care": st.booleans(),
        "actual_start_date": st.none() | day,
        "actual_end_date": st.none() | day,
        "planned_end_date": st.none() | day,
        "sites": st.lists(site_strategy, min_size=1, max_size=3),
    }
)
filters_strategy = st.builds(
    Filters,
    year_from=st.integers(2016, 2020),
    year_to=st.integers(2020, 2025),
    study_type=st.sampled_from(["", "", "drug"]),
    sponsor_type=st.sampled_from(["", "", "industry"]),
    phase=st.sampled_from(["", "", "", "2"]),
    therapeutic_area=st.sampled_from(["", "", "", "II"]),
    care_setting=st.sampled_from(["", "", *CareSetting.values]),
    by=st.sampled_from(STUDY_BREAKDOWNS),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    studies=st.lists(study_strategy, min_size=2, max_size=10),
    choices=st.lists(
        st.tuples(filters_strategy, st.lists(st.sampled_from(NODE_CODES), max_size=3, unique=True)),
        min_size=4,
        max_size=4,
    ),
)
def test_counts_equal_the_fact_queries_on_random_data(
    make_study: MakeStudy,
    studies: list[dict[str, Any]],
    choices: list[tuple[Filters, list[str]]],
) -> None:
    with transaction.atomic():
        for fields in studies:
            sites = fields.pop("sites")
            study = make_study(**fields)
            for code, opened, reports in sites:
                start = opened or date(2015, 1, 1)
                add_site(
                    study,
                    code,
                    opened=opened,
                    reports=[(start + timedelta(days=d), value) for d, value in reports],
                )
        facts_refresh(full=True)
        for filters, codes in choices:
            chosen = tuple(sorted(region(code).pk for code in codes))
            assert_same_as_facts(Filters(**{**filters.__dict__, "regions": chosen}))
        transaction.set_rollback(True)
    assert not Study.objects.exists()


def test_therapeutic_area_choices_fit_the_level_sizes() -> None:
    assert cube.DIMENSIONS["therapeutic_area"] == len(TherapeuticArea) + 1


def test_a_chart_read_from_the_facts_leaves_out_studies_outside_its_years(
    make_study: MakeStudy,
) -> None:
    # A long list of combinations, one region and a range of years: SQLite 3.40 answered this
    # from an index with the range after (dims, region) with the 2023 study in it.
    study = make_study(actual_start_date=date(2023, 12, 5), in_dental_care=True)
    for code in ("17", "21", "04"):
        add_site(study, code)
    make_study(sites=[("17", date(2019, 5, 1))], in_dental_care=True)
    facts_refresh(full=True)
    filters = Filters(
        year_from=2019,
        year_to=2020,
        regions=(region("17").pk,),
        study_type="drug",
        care_setting="dental_care",
        by="study_type",
    )
    table = studies_by_year_from_facts(filters, "ongoing")
    assert [(r.key, r.values) for r in table.rows] == [("drug", [1, 1])]
    assert_same_as_facts(filters)
