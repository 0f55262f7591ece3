"""Every definition of "how we count", on a small data set whose figures are checked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.utils import timezone

from studienav.registry.models import Study
from studienav.stats.framework import Filters, Table
from studienav.stats.models import EnrolmentFact, StudyFact
from studienav.stats.queries import participants_by_site, participants_by_year, studies_by_year
from studienav.stats.refresh import facts_refresh
from tests.stats.conftest import MakeStudy, add_site, region

pytestmark = pytest.mark.django_db


def values(table: Table, label: str | None = None) -> dict[int, int]:
    row = table.total if label is None else next(r for r in table.rows if r.label == label)
    assert row is not None
    return dict(zip(table.columns, row.values, strict=True))


@pytest.fixture
def three_regions(make_study: MakeStudy) -> Study:
    """Sites opening in Uppsala 2019, Örebro 2020, Västmanland 2021; no end date."""
    return make_study(
        sites=[("03", date(2019, 3, 1)), ("18", date(2020, 5, 1)), ("19", date(2021, 1, 10))]
    )


@pytest.fixture
def completed_2022(make_study: MakeStudy) -> Study:
    return make_study(
        sites=[("03", date(2021, 2, 1))],
        overall_status="completed",
        actual_end_date=date(2022, 6, 30),
        study_type="observational",
        sponsor_type="industry",
        in_primary_care=True,
    )


def test_study_in_three_regions_counts_once_in_each_region_and_once_in_total(
    three_regions: Study, completed_2022: Study
) -> None:
    facts_refresh(full=True)
    table = studies_by_year(Filters(year_from=2021, year_to=2021), "ongoing")
    assert values(table, "Uppsala") == {2021: 2}
    assert values(table, "Örebro län") == {2021: 1}
    assert values(table, "Västmanland") == {2021: 1}
    assert values(table) == {2021: 2}  # not 4: the total is never the sum of the regions


def test_started_is_first_site_opened_per_region_and_earliest_for_the_node(
    three_regions: Study,
) -> None:
    facts_refresh(full=True)
    table = studies_by_year(Filters(year_from=2019, year_to=2021), "started")
    assert values(table) == {2019: 1, 2020: 0, 2021: 0}
    assert values(table, "Uppsala") == {2019: 1, 2020: 0, 2021: 0}
    assert values(table, "Örebro län") == {2019: 0, 2020: 1, 2021: 0}
    assert values(table, "Västmanland") == {2019: 0, 2020: 0, 2021: 1}


def test_start_from_first_enrolment_when_no_site_opening_date(make_study: MakeStudy) -> None:
    study = make_study()
    add_site(study, "18", reports=[(date(2023, 1, 1), 0), (date(2023, 4, 1), 3)])
    facts_refresh(full=True)
    table = studies_by_year(Filters(year_from=2022, year_to=2024), "started")
    assert values(table) == {2022: 0, 2023: 1, 2024: 0}
    assert StudyFact.objects.get(study_id=study.pk, region__isnull=True).start_date == date(
        2023, 4, 1
    )


def test_study_without_end_date_is_ongoing_until_today(three_regions: Study) -> None:
    facts_refresh(full=True)
    table = studies_by_year(Filters(year_from=2018, year_to=2025), "ongoing")
    assert values(table) == {2018: 0, **dict.fromkeys(range(2019, 2026), 1)}
    assert values(
        studies_by_year(Filters(year_from=2016, year_to=2025), "completed")
    ) == dict.fromkeys(range(2016, 2026), 0)


def test_completed_study_counts_until_and_in_its_end_year(completed_2022: Study) -> None:
    facts_refresh(full=True)
    ongoing = studies_by_year(Filters(year_from=2020, year_to=2023), "ongoing")
    assert values(ongoing) == {2020: 0, 2021: 1, 2022: 1, 2023: 0}
    completed = studies_by_year(Filters(year_from=2020, year_to=2023), "completed")
    assert values(completed) == {2020: 0, 2021: 0, 2022: 1, 2023: 0}


def test_closed_study_without_end_date_is_ongoing_only_in_its_start_year_and_never_completed(
    make_study: MakeStudy,
) -> None:
    make_study(sites=[("20", date(2018, 9, 1))], overall_status="completed")
    facts_refresh(full=True)
    assert values(studies_by_year(Filters(year_from=2017, year_to=2020), "ongoing")) == {
        2017: 0,
        2018: 1,
        2019: 0,
        2020: 0,
    }
    assert values(studies_by_year(Filters(year_from=2017, year_to=2020), "completed")) == {
        2017: 0,
        2018: 0,
        2019: 0,
        2020: 0,
    }


def test_withdrawn_draft_and_other_nodes_studies_are_not_counted(make_study: MakeStudy) -> None:
    make_study(sites=[("03", date(2020, 1, 1))], overall_status="withdrawn")
    make_study(sites=[("03", date(2020, 1, 1))], state="draft")
    make_study(sites=[("01", date(2020, 1, 1))])  # Stockholm: another node
    facts_refresh(full=True)
    assert StudyFact.objects.count() == 0
    assert values(studies_by_year(Filters(year_from=2020, year_to=2020), "ongoing")) == {2020: 0}


def test_study_without_any_start_is_not_ongoing(make_study: MakeStudy) -> None:
    make_study(sites=[("03", None)], overall_status="not_yet_recruiting")
    facts_refresh(full=True)
    assert StudyFact.objects.count() == 0


def test_breakdowns_by_type_sponsor_and_care_setting_count_each_study_once(
    three_regions: Study, completed_2022: Study
) -> None:
    facts_refresh(full=True)
    filters = Filters(year_from=2022, year_to=2022, by="study_type")
    assert values(studies_by_year(filters, "ongoing"), "Läkemedelsprövning") == {2022: 1}
    assert values(studies_by_year(filters, "ongoing"), "Observationsstudie") == {2022: 1}
    by_setting = studies_by_year(
        Filters(year_from=2022, year_to=2022, by="care_setting"), "ongoing"
    )
    assert values(by_setting, "Sjukhusvård") == {2022: 2}
    assert values(by_setting, "Primärvård") == {2022: 1}
    industry = Filters(year_from=2022, year_to=2022, sponsor_type="industry")
    assert values(studies_by_year(industry, "ongoing")) == {2022: 1}


def test_filter_on_regions_counts_a_study_in_two_chosen_regions_once(three_regions: Study) -> None:
    facts_refresh(full=True)
    chosen = (region("03").pk, region("18").pk)
    table = studies_by_year(Filters(year_from=2021, year_to=2021, regions=chosen), "ongoing")
    assert values(table) == {2021: 1}
    assert [r.label for r in table.rows] == ["Uppsala", "Örebro län"]


def test_participants_are_increments_and_a_correction_downwards_is_negative(
    make_study: MakeStudy,
) -> None:
    study = make_study()
    add_site(
        study,
        "03",
        opened=date(2021, 1, 1),
        reports=[
            (date(2021, 3, 1), 10),
            (date(2021, 12, 1), 25),
            (date(2022, 2, 1), 20),  # corrected downwards
        ],
    )
    add_site(study, "18", opened=date(2022, 1, 1), reports=[(date(2022, 5, 1), 4)])
    facts_refresh(full=True)
    assert sorted(EnrolmentFact.objects.values_list("increment", flat=True)) == [-5, 4, 10, 15]
    table = participants_by_year(Filters(year_from=2021, year_to=2022))
    assert values(table, "Uppsala") == {2021: 25, 2022: -5}
    assert values(table, "Örebro län") == {2021: 0, 2022: 4}
    assert values(table) == {2021: 25, 2022: -1}
    per_site = participants_by_site(Filters(year_from=2021, year_to=2022))
    assert sorted(r.total for r in per_site.rows) == [4, 20]


def test_participants_per_site_add_up_every_study_at_the_organisation(
    make_study: MakeStudy,
) -> None:
    clinic = add_site(make_study(), "03", reports=[(date(2021, 3, 1), 10)]).organisation
    add_site(make_study(), "03", reports=[(date(2021, 5, 1), 6)], organisation=clinic)
    add_site(make_study(), "18", reports=[(date(2022, 2, 1), 12)])
    facts_refresh(full=True)
    per_site = participants_by_site(Filters(year_from=2021, year_to=2022))
    assert [(r.label, r.values) for r in per_site.rows] == [
        (clinic.name, [16, 0]),
        (per_site.rows[1].label, [0, 12]),
    ]
    assert per_site.rows[1].label != clinic.name
    assert per_site.total is not None and per_site.total.values == [16, 12]


def test_incremental_refresh_redoes_only_changed_studies(
    three_regions: Study, completed_2022: Study
) -> None:
    with time_machine.travel(datetime(2025, 6, 15, 12, tzinfo=UTC), tick=False):
        facts_refresh(full=True)
    with time_machine.travel(datetime(2025, 6, 16, tzinfo=UTC), tick=False):
        Study.objects.filter(pk=three_regions.pk).update(
            actual_end_date=date(2023, 3, 1),
            overall_status="completed",
            updated_at=timezone.now(),
        )
        result = facts_refresh()
    assert result.studies == 1
    completed = studies_by_year(Filters(year_from=2023, year_to=2023), "completed")
    assert values(completed) == {2023: 1}
    assert values(completed, "Örebro län") == {2023: 1}
