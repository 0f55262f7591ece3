"""The aggregate SQL behind every figure: one GROUP BY over the fact tables, a column per year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from studienav.core.bulk import ids_subquery
from studienav.core.collation import swedish_sort_key
from studienav.core.models import Organisation, Region
from studienav.core.selectors import node_regions
from studienav.registry.models import (
    CareSetting,
    OverallStatus,
    Phase,
    SponsorType,
    StudyType,
    TherapeuticArea,
)
from studienav.stats import cube
from studienav.stats.combos import AXES, CARE_BITS, CARE_FIELDS, dims_decode, dims_matching
from studienav.stats.framework import BREAKDOWNS, Filters, Row, Table
from studienav.stats.models import EnrolmentFact, StudyFact

SETTING_FIELDS = {setting: CARE_FIELDS[bit] for setting, bit in CARE_BITS.items()}
CHOICES: dict[str, Any] = {
    "study_type": StudyType,
    "sponsor_type": SponsorType,
    "phase": Phase,
    "therapeutic_area": TherapeuticArea,
    "overall_status": OverallStatus,
    "care_setting": CareSetting,
}


def _node_region_ids() -> list[int]:
    # A literal list, not a subquery: the planner then picks the (region, ...) indexes.
    return list(node_regions().values_list("pk", flat=True))


_DECODED = frozenset({*(name for name, _values in AXES), *CARE_FIELDS.values()})


def _dimension_filter(filters: Filters, years: Q) -> Q:
    """The filters (and the condition on the years) as a condition on the facts.

    With the combinations listed the years are left out: the callers count per year and drop
    the others themselves. A condition on the years would lead SQLite to the (region, year)
    index, whose rows it must then read one by one, instead of the covering `dims` index.
    """
    combinations = dims_matching(filters)
    return years if combinations is None else Q(dims__in=ids_subquery(combinations))


def _in_years(filters: Filters) -> Q:
    return Q(year__gte=filters.year_from, year__lte=filters.year_to)


def _year_condition(measure: str, year: int) -> Q:
    if measure == "ongoing":
        # definitions.ONGOING: started by the end of the year, not ended before it began.
        return Q(start_year__lte=year) & (Q(end_year__isnull=True) | Q(end_year__gte=year))
    if measure == "started":
        # definitions.STARTED: the (region's or node's) start date falls in the year.
        return Q(start_year=year)
    # definitions.COMPLETED: the actual end date falls in the year.
    return Q(is_completed=True, end_year=year)


def _span(measure: str, filters: Filters) -> Q:
    """Rows that can count in any of the years at all, so the indexes narrow the scan."""
    if measure == "ongoing":
        return Q(start_year__lte=filters.year_to) & (
            Q(end_year__isnull=True) | Q(end_year__gte=filters.year_from)
        )
    if measure == "started":
        return Q(start_year__gte=filters.year_from, start_year__lte=filters.year_to)
    return Q(is_completed=True, end_year__gte=filters.year_from, end_year__lte=filters.year_to)


def _label(dimension: str, key: Any, regions: dict[int, Region]) -> str:
    if dimension == "region":
        region = regions.get(key)
        return region.short_name if region else str(key)
    choices = CHOICES.get(dimension)
    if choices is not None and key in choices.values:
        return str(choices(key).label)
    return str(key) if key not in ("", None) else _("Not given")


def _sort_key(dimension: str, key: Any) -> Any:
    choices = CHOICES.get(dimension)
    if choices is not None and key in choices.values:
        return (0, list(choices.values).index(key))
    return (1, str(key))


def _rows(dimension: str, grouped: dict[tuple[Any, ...], list[int]]) -> list[Row]:
    regions = {r.pk: r for r in Region.objects.all()}
    rows = [
        Row(key=str(key[0]), label=_label(dimension, key[0], regions), values=values)
        for key, values in grouped.items()
    ]
    if dimension == "region":
        return sorted(rows, key=lambda r: swedish_sort_key(r.label))
    return sorted(rows, key=lambda r: _sort_key(dimension, r.key))


def _counts_in(measure: str, year: int, start: int, end: int | None, completed: bool) -> bool:
    if measure == "ongoing":
        # definitions.ONGOING: started by the end of the year, not ended before it began.
        return start <= year and (end is None or end >= year)
    if measure == "started":
        # definitions.STARTED: the (region's or node's) start date falls in the year.
        return start == year
    # definitions.COMPLETED: the actual end date falls in the year.
    return completed and end == year


def _groups(
    queryset: QuerySet[Any], keys: list[str], columns: list[str], **aggregates: Any
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """GROUP BY the keys and columns, each group with its key. The study's dimensions among the
    keys are grouped by their combination (`dims`) and decoded here, so that the facts' covering
    `dims` indexes answer the query alone (combos.py)."""
    by_dims = any(key in _DECODED for key in keys)
    plain = [key for key in keys if key not in _DECODED]
    grouped = queryset.values(*plain, *(["dims"] if by_dims else []), *columns)
    for group in grouped.annotate(**aggregates).order_by():
        decoded = dims_decode(group["dims"]) if by_dims else group
        yield tuple(decoded[k] if k in _DECODED else group[k] for k in keys), group


def _per_year(
    queryset: QuerySet[StudyFact], keys: list[str], measure: str, years: list[int]
) -> dict[tuple[Any, ...], list[int]]:
    """One GROUP BY (keys, start year, end year); the years are then counted from the groups.

    Each fact is in exactly one group, so adding groups up counts every fact once. A key
    that counts in none of the years has no row (as in FigureCount).
    """
    result: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(years))
    for key, group in _groups(
        queryset, keys, ["start_year", "end_year", "is_completed"], n=Count("*")
    ):
        start, end, completed = group["start_year"], group["end_year"], group["is_completed"]
        counts = [group["n"] if _counts_in(measure, y, start, end, completed) else 0 for y in years]
        if any(counts):
            result[key] = [a + b for a, b in zip(result[key], counts, strict=True)]
    return result


def _distinct_per_year(
    queryset: QuerySet[StudyFact], keys: list[str], measure: str, years: list[int]
) -> dict[tuple[Any, ...], list[int]]:
    """Distinct studies per year: for facts of several chosen regions, where a study repeats.

    A study has one combination of dimensions, so distinct studies per combination add up to
    distinct studies per key.
    """
    counts = {
        f"y{y}": Count("study_id", filter=_year_condition(measure, y), distinct=True) for y in years
    }
    if not keys:
        total = queryset.aggregate(**counts)
        return {(): [total[f"y{y}"] for y in years]}
    result: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(years))
    for key, group in _groups(queryset, keys, [], **counts):
        if any(group[f"y{y}"] for y in years):
            result[key] = [a + group[f"y{y}"] for a, y in zip(result[key], years, strict=True)]
    return result


def _table(
    filters: Filters, total: Row, grouped: dict[Any, list[int]], region_ids: list[int]
) -> Table:
    """A table from the FigureCount values per key (regions, care settings or a dimension)."""
    by = filters.by
    width = len(filters.years)
    rows: list[Row] = []
    if by == "region":
        spread = cube.per_region(grouped, region_ids)
        rows = _rows("region", {(key,): values for key, values in spread.items()})
    elif by == "care_setting":
        for setting, values in cube.per_setting(grouped, width).items():
            rows.append(Row(setting, str(CareSetting(setting).label), values))
    elif grouped and None not in grouped:
        rows = _rows(by, {(key,): values for key, values in grouped.items()})
    return Table(columns=filters.years, rows=rows, total=total, dimension_label=BREAKDOWNS[by])


def _column_sums(grouped: dict[Any, list[int]], width: int) -> list[int]:
    return [sum(column) for column in zip(*grouped.values(), strict=True)] or [0] * width


def _key(by: str) -> str | None:
    return {"region": "regions", "care_setting": "care"}.get(by, by if by in BREAKDOWNS else None)


def _studies_from_counts(filters: Filters, measure: str) -> Table | None:
    """studies_by_year from FigureCount rows, when a level holds the chart (same rules)."""
    by = filters.by
    rows = cube.counts(filters, measure, by)
    if rows is None:
        return None
    years = filters.years
    # Once per study: the node's own row, or the studies counting in any chosen region.
    per_study = rows.filter(regions=0)
    if filters.regions:
        per_study = cube.in_regions(rows, filters.regions)
    if by in ("region", "total"):
        grouped = cube.per_year(per_study, None, years)
        total_values = grouped.get(None, [0] * len(years))
        grouped = {}
        if by == "region":
            region_ids = list(filters.regions) or _node_region_ids()
            grouped = cube.per_year(cube.in_regions(rows, region_ids), "regions", years)
    else:
        grouped = cube.per_year(per_study, _key(by), years)
        total_values = _column_sums(grouped, len(years))
    total = Row("total", _("Node total (each study once)"), total_values)
    return _table(filters, total, grouped, list(filters.regions) or _node_region_ids())


def studies_by_year(filters: Filters, measure: str) -> Table:
    """Studies ongoing, started or completed per year, broken down by one dimension.

    Read from FigureCount when a level holds the chart, else from the facts (same numbers).
    """
    table = _studies_from_counts(filters, measure)
    return table if table is not None else studies_by_year_from_facts(filters, measure)


def studies_by_year_from_facts(filters: Filters, measure: str) -> Table:
    """Studies ongoing, started or completed per year, broken down by one dimension.

    definitions.REGION_RULE: region rows are one fact per (study, region); the total row counts
    the node's own fact per study (or distinct studies when regions are chosen), never a sum.
    """
    years = filters.years
    base = StudyFact.objects.filter(_dimension_filter(filters, _span(measure, filters)))
    region_facts = base.filter(region__isnull=False)
    if filters.regions:
        region_facts = region_facts.filter(region_id__in=filters.regions)
    else:
        region_facts = region_facts.filter(region_id__in=_node_region_ids())
    # Once per study: the node facts, one chosen region's facts, or distinct studies.
    per_study = region_facts if filters.regions else base.filter(region__isnull=True)
    count = _distinct_per_year if len(filters.regions) > 1 else _per_year
    total = Row(
        "total",
        _("Node total (each study once)"),
        count(per_study, [], measure, years).get((), [0] * len(years)),
    )
    by = filters.by
    rows: list[Row] = []
    if by == "region":
        grouped = _per_year(region_facts, ["region_id"], measure, years)
        rows = _rows("region", grouped)
    elif by == "care_setting":
        settings = list(SETTING_FIELDS.values())
        grouped = count(per_study, settings, measure, years)
        for setting, field_name in SETTING_FIELDS.items():
            position = settings.index(field_name)
            values = [0] * len(years)
            for key, counts in grouped.items():
                if key[position]:
                    values = [a + b for a, b in zip(values, counts, strict=True)]
            rows.append(Row(setting.value, str(setting.label), values))
    elif by != "total":
        rows = _rows(by, count(per_study, [by], measure, years))
    return Table(columns=years, rows=rows, total=total, dimension_label=BREAKDOWNS[by])


def _sum_per_year(
    facts: QuerySet[EnrolmentFact], keys: list[str], years: list[int]
) -> dict[tuple[Any, ...], list[int]]:
    result: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(years))
    for key, group in _groups(facts, keys, ["year"], n=Sum("increment")):
        if years[0] <= group["year"] <= years[-1]:
            result[key][group["year"] - years[0]] += int(group["n"] or 0)
    return result


def _participants_from_counts(filters: Filters) -> Table | None:
    """participants_by_year from FigureCount rows, when a level holds the chart."""
    by = filters.by
    breakdown = "" if by == "overall_status" else by
    rows = cube.counts(filters, "participants", breakdown)
    if rows is None:
        return None
    region_ids = list(filters.regions) or _node_region_ids()
    key = _key(by) if breakdown not in ("", "total") else None
    grouped = cube.per_year(cube.in_regions(rows, region_ids), key, filters.years)
    total = Row("total", _("Node total"), _column_sums(grouped, len(filters.years)))
    return _table(filters, total, grouped if key else {}, region_ids)


def participants_by_year(filters: Filters) -> Table:
    """definitions.PARTICIPANTS: sum of report increments per year, negative corrections kept.

    Read from FigureCount when a level holds the chart, else from the facts (same numbers).
    """
    table = _participants_from_counts(filters)
    return table if table is not None else participants_by_year_from_facts(filters)


def participants_by_year_from_facts(filters: Filters) -> Table:
    """definitions.PARTICIPANTS: sum of report increments per year, negative corrections kept."""
    years = filters.years
    facts = EnrolmentFact.objects.filter(
        _dimension_filter(filters, _in_years(filters)),
        region_id__in=filters.regions or _node_region_ids(),
    )
    by = filters.by
    keys = {"region": ["region_id"], "care_setting": list(SETTING_FIELDS.values())}.get(by, [by])
    if by in ("total", "overall_status"):
        keys = []
    grouped = _sum_per_year(facts, keys, years)
    totals = [sum(column) for column in zip(*grouped.values(), strict=True)] or [0] * len(years)
    total = Row("total", _("Node total"), totals)
    rows: list[Row] = []
    if by == "care_setting":
        for setting, field_name in SETTING_FIELDS.items():
            position = keys.index(field_name)
            values = [0] * len(years)
            for key, sums in grouped.items():
                if key[position]:
                    values = [a + b for a, b in zip(values, sums, strict=True)]
            rows.append(Row(setting.value, str(setting.label), values))
    elif keys:
        rows = _rows(by, grouped)
    return Table(columns=years, rows=rows, total=total, dimension_label=BREAKDOWNS[by])


def participants_by_site(filters: Filters, *, limit: int = 25) -> Table:
    """definitions.PARTICIPANTS per site: the recruiting organisations (hospital clinics, health
    centres) that recruited most in the chosen years, over all their studies.

    Read from FigureCount when a level holds the filters, else from the facts (same numbers).
    """
    counted = cube.counts(filters, cube.SITES, "")
    if counted is None:
        return participants_by_site_from_facts(filters, limit=limit)
    region_ids = list(filters.regions) or _node_region_ids()
    rows = cube.in_regions(counted, region_ids)
    return _top_sites(filters, rows, "organisation", "value", limit)


def participants_by_site_from_facts(filters: Filters, *, limit: int = 25) -> Table:
    """definitions.PARTICIPANTS per site, summed from the enrolment facts."""
    facts = EnrolmentFact.objects.filter(
        _dimension_filter(filters, _in_years(filters)),
        region_id__in=list(filters.regions) or _node_region_ids(),
    )
    return _top_sites(filters, facts, "organisation_id", "increment", limit)


def _top_sites(
    filters: Filters, rows: QuerySet[Any], organisation: str, value: str, limit: int
) -> Table:
    """The organisations with the largest sums in the years (ties by id; one with no report in
    them has no row), then the years of those few."""
    years = filters.years
    top = [
        g[organisation]
        for g in rows.values(organisation)
        .annotate(all=Sum(value, filter=_in_years(filters)))
        .filter(all__isnull=False)
        .order_by("-all", organisation)[:limit]
    ]
    per_year: dict[int, list[int]] = defaultdict(lambda: [0] * len(years))
    for group in (
        rows.filter(**{f"{organisation}__in": top})
        .values(organisation, "year")
        .annotate(n=Sum(value))
        .order_by()
    ):
        if years[0] <= group["year"] <= years[-1]:
            per_year[group[organisation]][group["year"] - years[0]] += int(group["n"] or 0)
    names = dict(Organisation.objects.filter(pk__in=top).values_list("pk", "name"))
    table_rows = [
        Row(str(pk), names.get(pk, str(pk)), per_year.get(pk, [0] * len(years))) for pk in top
    ]
    total = participants_by_year(replace(filters, by="total")).total
    return Table(columns=years, rows=table_rows, total=total, dimension_label=_("Site"))
