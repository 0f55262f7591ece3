"""Figures of the research council's calls: applications, success rate, money granted and what
the money produced, registered in the statistics framework with their definitions.

Only decided, submitted applications carry into the figures; drafts never do. A project
counts in the region of its main applicant for applications and success, and in each
region for the part of the granted amount that its budget lines asked for there.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.core.selectors import node_regions
from studienav.funding.models import (
    Application,
    ApplicationState,
    Decision,
    FollowUpReport,
)
from studienav.stats.definitions import Definition
from studienav.stats.framework import Chart, Figure, Filters, Row, Table, figure_register

APPLICATIONS = Definition(
    "funding-applications",
    _("Applications to the research council"),
    _(
        "Applications submitted to the research council's calls, counted in the year the call "
        "closed and in the region of the main applicant. Drafts that were never submitted are "
        "not counted."
    ),
)
SUCCESS_RATE = Definition(
    "funding-success-rate",
    _("Success rate"),
    _(
        "Of the decided applications of a year's calls, the share granted, in per cent, per "
        "region of the main applicant. Applications not yet decided are left out."
    ),
)
MONEY_GRANTED = Definition(
    "funding-money-granted",
    _("Money granted"),
    _(
        "The amounts granted, in thousands of kronor, in the year of the decision. The amount "
        "is shared between the regions in proportion to the budget each region's part asked "
        "for; the regions therefore add up to the total."
    ),
)
OUTPUTS = Definition(
    "funding-outputs",
    _("Outputs per granted krona"),
    _(
        "Outputs are the studies registered in the study registry and the publications (each "
        "DOI once) that granted projects list in their yearly follow-up reports. Outputs per "
        "million kronor divide them by the amounts granted to the same projects. A study or "
        "publication reported in several years counts once."
    ),
)
DEFINITIONS = (APPLICATIONS, SUCCESS_RATE, MONEY_GRANTED, OUTPUTS)


def _submitted() -> QuerySet[Application]:
    return Application.objects.exclude(state=ApplicationState.DRAFT).select_related(
        "call", "region"
    )


def _year_of_call(application: Application) -> int:
    return timezone.localtime(application.call.closes_at).year


def _region_rows(
    filters: Filters, counts: dict[tuple[int, str], int]
) -> tuple[list[Row], list[int]]:
    years = filters.years
    regions = list(node_regions())
    if filters.regions:
        regions = [r for r in regions if r.pk in filters.regions]
    rows = [
        Row(key=r.code, label=r.short_name, values=[counts.get((y, r.code), 0) for y in years])
        for r in regions
    ]
    return rows, years


def _summed(rows: list[Row], years: list[int]) -> Table:
    """The table with a total row that adds up the regions."""
    total = Row(
        key="total",
        label=str(_("All regions")),
        values=[sum(r.values[i] for r in rows) for i in range(len(years))],
    )
    return Table(columns=years, rows=rows, total=total, dimension_label=_("Region"))


def applications_table(filters: Filters) -> Table:
    """APPLICATIONS per year of the call's deadline and region of the main applicant."""
    counts: Counter[tuple[int, str]] = Counter(
        (_year_of_call(a), a.region.code) for a in _submitted()
    )
    rows, years = _region_rows(filters, counts)
    return _summed(rows, years)


def _rates() -> tuple[dict[tuple[int, str], int], dict[int, int]]:
    decided: Counter[tuple[int, str]] = Counter()
    granted: Counter[tuple[int, str]] = Counter()
    for application in _submitted().filter(
        state__in=[ApplicationState.GRANTED, ApplicationState.REJECTED]
    ):
        key = (_year_of_call(application), application.region.code)
        decided[key] += 1
        granted[key] += application.state == ApplicationState.GRANTED
    per_region = {k: round(100 * granted[k] / n) for k, n in decided.items() if n}
    years: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (year, _code), n in decided.items():
        years[year][0] += n
        years[year][1] += granted[(year, _code)]
    overall = {y: round(100 * g / n) for y, (n, g) in years.items() if n}
    return per_region, overall


def success_rate_table(filters: Filters) -> Table:
    """SUCCESS_RATE in per cent per year of the call and region of the main applicant."""
    per_region, overall = _rates()
    rows, years = _region_rows(filters, per_region)
    total = Row(key="total", label=str(_("All regions")), values=[overall.get(y, 0) for y in years])
    return Table(columns=years, rows=rows, total=total, dimension_label=_("Region"))


def money_granted_by_region() -> dict[tuple[int, str], int]:
    """Granted SEK per (decision year, region code), shared by the budget lines' shares."""
    money: dict[tuple[int, str], float] = defaultdict(float)
    for decision in Decision.objects.filter(outcome="granted").select_related("application"):
        year = timezone.localtime(decision.decided_at).year
        lines = list(decision.application.budget_lines.select_related("region"))
        asked = sum(line.amount for line in lines)
        if not asked:
            money[(year, decision.application.region.code)] += decision.amount
            continue
        for line in lines:
            money[(year, line.region.code)] += decision.amount * line.amount / asked
    return {k: round(v) for k, v in money.items()}


def money_granted_table(filters: Filters) -> Table:
    """MONEY_GRANTED in thousands of SEK per decision year and region."""
    thousands = {k: round(v / 1000) for k, v in money_granted_by_region().items()}
    rows, years = _region_rows(filters, thousands)
    return _summed(rows, years)


def outputs_per_project() -> list[dict[str, Any]]:
    """Per granted project: amount, distinct studies and publications reported, and outputs
    per million SEK."""
    result = []
    for decision in Decision.objects.filter(outcome="granted").select_related(
        "application__region"
    ):
        reports = FollowUpReport.objects.filter(application=decision.application)
        studies = {s.pk for r in reports.prefetch_related("studies") for s in r.studies.all()}
        dois = {d.lower() for r in reports for d in r.publications}
        outputs = len(studies) + len(dois)
        result.append(
            {
                "application": decision.application,
                "year": timezone.localtime(decision.decided_at).year,
                "amount": decision.amount,
                "studies": len(studies),
                "publications": len(dois),
                "outputs": outputs,
                "per_million": round(outputs / (decision.amount / 1_000_000), 2)
                if decision.amount
                else None,
            }
        )
    return result


def outputs_per_million_by_year() -> list[dict[str, Any]]:
    """OUTPUTS per million SEK granted, per decision year."""
    years: dict[int, dict[str, int]] = defaultdict(lambda: {"amount": 0, "outputs": 0})
    for row in outputs_per_project():
        years[row["year"]]["amount"] += row["amount"]
        years[row["year"]]["outputs"] += row["outputs"]
    return [
        {
            "year": year,
            "amount": v["amount"],
            "outputs": v["outputs"],
            "per_million": round(v["outputs"] / (v["amount"] / 1_000_000), 2)
            if v["amount"]
            else None,
        }
        for year, v in sorted(years.items())
    ]


def outputs_table(filters: Filters) -> Table:
    """Outputs (studies registered + publications) of projects granted in each year, per region
    of the main applicant; the rate per million SEK is on the funding figures page."""
    counts: Counter[tuple[int, str]] = Counter()
    for row in outputs_per_project():
        counts[(row["year"], row["application"].region.code)] += row["outputs"]
    rows, years = _region_rows(filters, counts)
    return _summed(rows, years)


def all_figures() -> dict[str, Any]:
    """Every funding figure for the chair's and node office's figures page."""
    filters = Filters(year_from=2020)
    return {
        "definitions": DEFINITIONS,
        "applications": applications_table(filters),
        "success": success_rate_table(filters),
        "money": money_granted_table(filters),
        "outputs": outputs_per_million_by_year(),
        "projects": outputs_per_project(),
    }


for _figure in (
    Figure(
        slug="funding-applications",
        title=_("Applications to the research council"),
        definition=APPLICATIONS,
        query=applications_table,
        chart=Chart(type="stacked", dimension="year", measure=_("applications")),
        breakdowns=("region",),
    ),
    Figure(
        slug="funding-success-rate",
        title=_("Success rate of applications"),
        definition=SUCCESS_RATE,
        query=success_rate_table,
        chart=Chart(type="line", dimension="year", measure=_("per cent granted")),
        breakdowns=("region",),
    ),
    Figure(
        slug="funding-money-granted",
        title=_("Research council money granted"),
        definition=MONEY_GRANTED,
        query=money_granted_table,
        chart=Chart(type="stacked", dimension="year", measure=_("thousand SEK")),
        breakdowns=("region",),
    ),
    Figure(
        slug="funding-outputs",
        title=_("Outputs of granted projects"),
        definition=OUTPUTS,
        query=outputs_table,
        chart=Chart(type="stacked", dimension="year", measure=_("studies and publications")),
        breakdowns=("region",),
    ),
):
    figure_register(_figure)
