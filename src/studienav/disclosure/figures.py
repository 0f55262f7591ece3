"""Key figures of health-data disclosure, registered with the statistics framework.

Each figure's definition says in words what its query counts. Working days and clarification
pauses are those of `studienav.disclosure.deadlines`; medians of an even number of cases are
rounded half up to whole days; percentiles use the nearest-rank method.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Region
from studienav.core.selectors import node_regions
from studienav.disclosure.deadlines import delivered_within_target, lead_time
from studienav.disclosure.models import Decision, DecisionKind, RegionCase
from studienav.feasibility.figures import percentile
from studienav.stats.definitions import Definition
from studienav.stats.framework import Chart, Figure, Filters, Row, Table, figure_register


def _regions(filters: Filters | None = None) -> list[Region]:
    regions = list(node_regions())
    if filters is not None and filters.regions:
        regions = [r for r in regions if r.pk in filters.regions]
    return regions


def _year(moment: Any) -> int:
    return timezone.localtime(moment).year


def _whole(value: float) -> int:
    return math.floor(value + 0.5)


REQUESTS = Definition(
    "disclosure-requests",
    _("Health-data requests per region"),
    _(
        "Requests for health data submitted through the harmonised form, counted in the year "
        "they were submitted (Swedish time), once in every region they name. A request to all "
        "seven regions counts once in each region and once in the node's total, so the regions "
        "add up to more than the total. Drafts never submitted are not counted."
    ),
)


def requests_table(filters: Filters) -> Table:
    """REQUESTS per year and region."""
    years = filters.years
    cases = RegionCase.objects.filter(
        received_at__year__gte=years[0] - 1, received_at__year__lte=years[-1] + 1
    ).values("received_at", "region_id", "request_id")
    counts: Counter[tuple[int, int]] = Counter()
    requests: dict[int, set[int]] = defaultdict(set)
    for case in cases:
        year = _year(case["received_at"])
        counts[(year, case["region_id"])] += 1
        requests[year].add(case["request_id"])
    rows = [
        Row(key=r.code, label=r.short_name, values=[counts[(y, r.pk)] for y in years])
        for r in _regions(filters)
    ]
    total = Row(key="total", label=str(_("All requests")), values=[len(requests[y]) for y in years])
    return Table(columns=years, rows=rows, total=total, dimension_label=_("Region"))


DECISIONS = Definition(
    "disclosure-decisions",
    _("Disclosure decisions by kind"),
    _(
        "The regions' decisions on health-data requests, counted in the year they were made "
        "(Swedish time), by kind: approved, approved with conditions (förbehåll), approved in "
        "part, rejected. Each region decides on its own, so one request to seven regions gives "
        "seven decisions."
    ),
)


def decisions_table(filters: Filters) -> Table:
    """DECISIONS per year and kind."""
    years = filters.years
    regions = [r.pk for r in _regions(filters)]
    counts: Counter[tuple[int, str]] = Counter(
        (_year(d["decided_at"]), d["kind"])
        for d in Decision.objects.filter(case__region__in=regions).values("decided_at", "kind")
    )
    rows = [
        Row(key=k.value, label=str(k.label), values=[counts[(y, k.value)] for y in years])
        for k in DecisionKind
    ]
    total = Row(
        key="total",
        label=str(_("All decisions")),
        values=[sum(counts[(y, k.value)] for k in DecisionKind) for y in years],
    )
    return Table(columns=years, rows=rows, total=total, dimension_label=_("Decision"))


LEAD_TIME = Definition(
    "disclosure-lead-time",
    _("Lead time to decision"),
    _(
        "For each region, the median number of working days from the complete request to the "
        "region's decision, over the decisions made in the year. A request is complete when it "
        "is submitted: the form cannot be submitted while something is missing. Working days "
        "are Monday to Friday except Swedish public holidays, Midsummer Eve, Christmas Eve and "
        "New Year's Eve, counted from the day after submission up to and including the day of "
        "decision; the working days the region waited for the requester's clarification are "
        "not counted."
    ),
)


def _decided_cases(regions: list[Region]) -> list[RegionCase]:
    return list(
        RegionCase.objects.filter(decided_at__isnull=False, region__in=regions)
        .select_related("region")
        .prefetch_related("messages")
    )


def lead_time_table(filters: Filters) -> Table:
    """LEAD_TIME per year and region (median working days; 0 where no decision)."""
    years = filters.years
    regions = _regions(filters)
    days: dict[tuple[int, int], list[int]] = defaultdict(list)
    for case in _decided_cases(regions):
        value = lead_time(case)
        if value is not None and case.decided_at is not None:
            days[(_year(case.decided_at), case.region_id)].append(value)

    def median(values: list[int]) -> int:
        return _whole(statistics.median(values)) if values else 0

    rows = [
        Row(key=r.code, label=r.short_name, values=[median(days[(y, r.pk)]) for y in years])
        for r in regions
    ]
    total = Row(
        key="total",
        label=str(_("All regions")),
        values=[median([d for (yy, _r), v in days.items() if yy == y for d in v]) for y in years],
    )
    return Table(columns=years, rows=rows, total=total, dimension_label=_("Region"))


DELIVERED_ON_TARGET = Definition(
    "disclosure-delivered-on-target",
    _("Deliveries within the target"),
    _(
        "For each region, the share in per cent of its deliveries in the year (by the day the "
        "delivery was recorded) that came within the target number of working days from the "
        "complete request (DISCLOSURE_DELIVERY_TARGET_DAYS, 60 unless the node sets another), "
        "with the working days of clarification pauses left out. Rejected requests have no "
        "delivery and are not counted."
    ),
)


def delivered_on_target_table(filters: Filters) -> Table:
    """DELIVERED_ON_TARGET per year and region (per cent, rounded; 0 where none delivered)."""
    years = filters.years
    regions = _regions(filters)
    outcomes: dict[tuple[int, int], list[bool]] = defaultdict(list)
    cases = (
        RegionCase.objects.filter(delivered_at__isnull=False, region__in=regions)
        .select_related("region")
        .prefetch_related("messages")
    )
    for case in cases:
        within = delivered_within_target(case)
        if within is not None and case.delivered_at is not None:
            outcomes[(_year(case.delivered_at), case.region_id)].append(within)

    def share(values: list[bool]) -> int:
        return _whole(100 * sum(values) / len(values)) if values else 0

    rows = [
        Row(key=r.code, label=r.short_name, values=[share(outcomes[(y, r.pk)]) for y in years])
        for r in regions
    ]
    total = Row(
        key="total",
        label=str(_("All regions")),
        values=[
            share([v for (yy, _r), vs in outcomes.items() if yy == y for v in vs]) for y in years
        ],
    )
    return Table(columns=years, rows=rows, total=total, dimension_label=_("Region"))


def lead_time_per_region(year: int | None = None) -> list[dict[str, Any]]:
    """LEAD_TIME per region over all years (or one): decisions, median and 90th percentile,
    and the share delivered within the target, for node office's overview."""
    rows = []
    regions = _regions()
    cases = _decided_cases(regions)
    delivered = {
        c.pk: delivered_within_target(c)
        for c in RegionCase.objects.filter(delivered_at__isnull=False).prefetch_related("messages")
    }
    for region in regions:
        days = [
            d
            for c in cases
            if c.region_id == region.pk
            and c.decided_at is not None
            and (year is None or _year(c.decided_at) == year)
            and (d := lead_time(c)) is not None
        ]
        done = [delivered[c.pk] for c in cases if c.region_id == region.pk and c.pk in delivered]
        rows.append(
            {
                "region": region,
                "decisions": len(days),
                "median": statistics.median(days) if days else None,
                "p90": percentile(days, 0.9),
                "delivered": len(done),
                "on_target": sum(1 for d in done if d),
                "target_days": settings.DISCLOSURE_DELIVERY_TARGET_DAYS,
            }
        )
    return rows


def decisions_by_kind() -> list[dict[str, Any]]:
    """DECISIONS by kind over all years, for node office's overview."""
    counts = Counter(Decision.objects.values_list("kind", flat=True))
    return [{"kind": k, "label": k.label, "count": counts[k.value]} for k in DecisionKind]


figure_register(
    Figure(
        slug="disclosure-requests",
        title=_("Health-data requests per region"),
        definition=REQUESTS,
        query=requests_table,
        chart=Chart(type="bar", dimension="year", measure=_("requests")),
        breakdowns=("region",),
    )
)
figure_register(
    Figure(
        slug="disclosure-decisions",
        title=_("Disclosure decisions by kind"),
        definition=DECISIONS,
        query=decisions_table,
        chart=Chart(type="stacked", dimension="year", measure=_("decisions")),
        breakdowns=("total",),
    )
)
figure_register(
    Figure(
        slug="disclosure-lead-time",
        title=_("Lead time to decision (median working days)"),
        definition=LEAD_TIME,
        query=lead_time_table,
        chart=Chart(type="bar", dimension="year", measure=_("working days")),
        breakdowns=("region",),
    )
)
figure_register(
    Figure(
        slug="disclosure-delivered-on-target",
        title=_("Deliveries within the target (per cent)"),
        definition=DELIVERED_ON_TARGET,
        query=delivered_on_target_table,
        chart=Chart(type="bar", dimension="year", measure=_("per cent")),
        breakdowns=("region",),
    )
)
