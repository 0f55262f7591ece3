"""The figures: requests per region, decisions by kind, lead time, deliveries on target."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from studienav.core.models import Region, User
from studienav.disclosure import casework, figures
from studienav.disclosure.models import DecisionKind, DisclosureRequest
from studienav.stats.framework import Filters, figure_get
from tests.disclosure.conftest import case_of, decide

FILTERS = Filters(year_from=2025, year_to=2026)


def test_a_request_to_seven_regions_counts_once_in_each_and_once_in_the_total(
    submitted: DisclosureRequest,
) -> None:
    table = figures.requests_table(FILTERS)
    assert [row.values for row in table.rows] == [[0, 1]] * 7
    assert table.total is not None and table.total.values == [0, 1]


def test_decisions_are_counted_by_kind(
    submitted: DisclosureRequest, olle: User, otto: User, uppsala: Region, orebro: Region
) -> None:
    decide(case_of(submitted, uppsala), olle, DecisionKind.CONDITIONS)
    decide(case_of(submitted, orebro), otto, DecisionKind.REJECT)
    table = figures.decisions_table(FILTERS)
    counts = {row.key: row.values[-1] for row in table.rows}
    assert counts == {"approve": 0, "conditions": 1, "in_part": 0, "reject": 1}


def test_lead_time_is_the_median_of_working_days_per_region(
    submitted: DisclosureRequest, olle: User, uppsala: Region, time_machine: Any
) -> None:
    time_machine.move_to(datetime(2026, 12, 1, 9, tzinfo=UTC))  # five working days on
    decide(case_of(submitted, uppsala), olle)
    table = figures.lead_time_table(FILTERS)
    uppsala_row = next(row for row in table.rows if row.key == "03")
    assert uppsala_row.values == [0, 5]


def test_a_delivery_within_the_target_counts_as_on_target(
    submitted: DisclosureRequest, olle: User, uppsala: Region
) -> None:
    case = case_of(submitted, uppsala)
    decide(case, olle)
    casework.case_delivery_record(
        by=olle,
        case=case,
        description="bilder",
        delivered_on=date(2026, 11, 24),
        channel="sftp",
        manifest=f"{'a' * 64}  x.dcm",
    )
    table = figures.delivered_on_target_table(FILTERS)
    assert next(row for row in table.rows if row.key == "03").values == [0, 100]


def test_the_figures_are_registered_with_written_definitions(db: None) -> None:
    for slug in (
        "disclosure-requests",
        "disclosure-decisions",
        "disclosure-lead-time",
        "disclosure-delivered-on-target",
    ):
        figure = figure_get(slug)
        assert figure is not None
        assert len(str(figure.definition.text)) > 100
