"""Pre-aggregated figures: FigureCount rows built from the fact tables in SQL, read by the charts.

A chart needs counts per year for the dimensions it filters on or breaks down by; `LEVELS` are
the sets of dimensions kept as rows, each small enough to read in a few milliseconds. A chart
whose dimensions make no level (many filters at once) reads the facts instead, which are then
few. The counting rules are those of the fact queries (queries.py), per (study, year).
"""

# ruff: noqa: S608 (SQL built from model table and column names and constants; values as parameters)
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet, Sum

from studienav.core.models import Region
from studienav.registry.models import (
    CareSetting,
    OverallStatus,
    Phase,
    SponsorType,
    StudyType,
    TherapeuticArea,
)
from studienav.stats.combos import CARE_BITS, CARE_FIELDS
from studienav.stats.definitions import FIRST_YEAR
from studienav.stats.framework import Filters
from studienav.stats.models import EnrolmentFact, FactRefresh, FigureCount, StudyFact

# The dimensions a level can keep, with how many values each can take.
DIMENSIONS: dict[str, int] = {
    "study_type": len(StudyType),
    "sponsor_type": len(SponsorType),
    "phase": len(Phase),
    "therapeutic_area": len(TherapeuticArea) + 1,  # and "not given"
    "overall_status": len(OverallStatus),
    "care_setting": 2 ** len(CareSetting),
}
# A level keeps at most this many combinations of values: its rows stay few per year and region.
MAX_COMBINATIONS = 210
COLUMNS = (
    "study_type",
    "sponsor_type",
    "phase",
    "therapeutic_area",
    "overall_status",
    "care",
)
STUDY_MEASURES = {
    # The same conditions as queries._counts_in (definitions.ONGOING, STARTED, COMPLETED).
    "ongoing": "f.start_year <= y.year AND (f.end_year IS NULL OR f.end_year >= y.year)",
    "started": "f.start_year = y.year",
    "completed": "f.is_completed AND f.end_year = y.year",
}
BASE = "stats_figurecount_base"
# The participants per region and recruiting organisation (participants_by_site).
SITES = "sites"


def _bit(name: str) -> int:
    return 1 << list(DIMENSIONS).index(name)


def _combinations(level: int) -> int:
    return math.prod(n for i, n in enumerate(DIMENSIONS.values()) if level & (1 << i))


LEVELS: tuple[int, ...] = tuple(
    level for level in range(2 ** len(DIMENSIONS)) if _combinations(level) <= MAX_COMBINATIONS
)


def region_bits(region_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Each region's bit in a region set: 1 << its official code (01-25 in Sweden), which
    stays the same however the database numbers its rows."""
    regions = Region.objects.all()
    if region_ids is not None:
        regions = regions.filter(pk__in=set(region_ids))
    bits = {}
    for pk, code in regions.values_list("pk", "code"):
        if int(code) > 62:
            raise ValueError(f"region code {code} does not fit the region set of FigureCount")
        bits[pk] = 1 << int(code)
    return bits


def region_set(region_ids: Iterable[int]) -> int:
    return sum(region_bits(region_ids).values())


def _region_bits_sql(alias: str) -> str:
    """The region set of one fact's region (0 for the node's own fact), as SQL."""
    cases = " ".join(f"WHEN {pk} THEN {bit}" for pk, bit in region_bits().items())
    return f"CASE {alias}.region_id {cases} ELSE 0 END" if cases else "0"


def care_bits(setting: str) -> list[int]:
    """The care values (bit sets) that include a setting."""
    bit = CARE_BITS[CareSetting(setting)]
    return [care for care in range(8) if care & bit]


def level_for(filters: Filters, breakdown: str) -> int | None:
    """The level that keeps exactly the dimensions of the filters and the breakdown, if built."""
    level = 0
    for name in DIMENSIONS:
        if getattr(filters, name, "") or breakdown == name:
            level |= _bit(name)
    return level if level in LEVELS else None


def last_year() -> int | None:
    """The last year FigureCount holds (None before the first refresh)."""
    refresh = FactRefresh.objects.filter(finished_at__isnull=False).only("last_year").first()
    return refresh.last_year if refresh else None


def counts(filters: Filters, measure: str, breakdown: str) -> QuerySet[FigureCount] | None:
    """The FigureCount rows for a chart, or None when no level holds it (read the facts)."""
    level = level_for(filters, breakdown)
    built_until = last_year()
    if level is None or built_until is None or filters.year_to > built_until:
        return None
    rows = FigureCount.objects.filter(
        level=level, measure=measure, year__gte=filters.year_from, year__lte=filters.year_to
    )
    for name, column in zip(DIMENSIONS, COLUMNS, strict=True):
        value = getattr(filters, name, "")
        if name == "care_setting":
            if value:
                rows = rows.filter(care__in=care_bits(value))
            elif not level & _bit(name):
                rows = rows.filter(care=FigureCount.ALL_CARE)
        elif value:
            rows = rows.filter(**{column: value})
        elif not level & _bit(name):
            rows = rows.filter(**{column: FigureCount.ALL})
    return rows


def in_regions(rows: QuerySet[FigureCount], region_ids: Iterable[int]) -> QuerySet[FigureCount]:
    """Rows of studies (or participants) that count in any of the regions."""
    return rows.alias(hit=F("regions").bitand(region_set(region_ids))).filter(hit__gt=0)


def per_year(
    rows: QuerySet[FigureCount], key: str | None, years: list[int]
) -> dict[Any, list[int]]:
    """Values per key (a column, or None for one total) and year."""
    keys = [key] if key else []
    result: dict[Any, list[int]] = defaultdict(lambda: [0] * len(years))
    for group in rows.values(*keys, "year").annotate(n=Sum("value")).order_by():
        result[group[key] if key else None][group["year"] - years[0]] += int(group["n"] or 0)
    return result


def per_region(rows: dict[Any, list[int]], region_ids: list[int]) -> dict[int, list[int]]:
    """Spread values per region set over each region in it (a study counts in each)."""
    result: dict[int, list[int]] = {}
    for region_id, bit in region_bits(region_ids).items():
        for regions, values in rows.items():
            if regions & bit:
                mine = result.setdefault(region_id, [0] * len(values))
                result[region_id] = [a + b for a, b in zip(mine, values, strict=True)]
    return result


def per_setting(rows: dict[Any, list[int]], width: int) -> dict[str, list[int]]:
    """Spread values per set of care settings over each setting (a study counts in each)."""
    result = {}
    for setting, bit in CARE_BITS.items():
        values = [0] * width
        for care, counts in rows.items():
            if care & bit:
                values = [a + b for a, b in zip(values, counts, strict=True)]
        result[setting.value] = values
    return result


def _care_sql(alias: str) -> str:
    return " + ".join(
        f"CASE WHEN {alias}.{field} THEN {bit} ELSE 0 END" for bit, field in CARE_FIELDS.items()
    )


def _base_build(cursor: Any, until: int) -> None:
    """Every (measure, year, region set, all dimensions) once, in a temporary table."""
    quote = connection.ops.quote_name
    cursor.execute(
        f"CREATE TEMPORARY TABLE {BASE} (measure varchar(12), year integer, regions bigint, "
        "study_type varchar(30), sponsor_type varchar(20), phase varchar(10), "
        "therapeutic_area varchar(5), overall_status varchar(30), care integer,"
        " organisation integer, value bigint)"
    )
    years = " UNION ALL ".join(f"SELECT {y} AS year" for y in range(FIRST_YEAR, until + 1))
    dims = "study_type, sponsor_type, phase, therapeutic_area, overall_status"
    fact_dims = ", ".join(f"f.{d}" for d in dims.split(", "))
    flags = ", ".join(f"f.{field}" for field in CARE_FIELDS.values())
    for measure, condition in STUDY_MEASURES.items():
        # Per study and year: the node's own fact (region set 0), and the set of regions in
        # which it counts (definitions.REGION_RULE); then how many studies share each row.
        cursor.execute(
            f"INSERT INTO {BASE} (measure, year, regions, {dims}, care, organisation, value) "
            f"SELECT %s, year, regions, {dims}, care, 0, COUNT(*) FROM ("
            f" SELECT f.study_id, y.year AS year,"
            f" SUM(CAST({_region_bits_sql('f')} AS BIGINT)) AS regions,"
            f" {fact_dims}, {_care_sql('f')} AS care"
            f" FROM {quote(StudyFact._meta.db_table)} f JOIN ({years}) y ON {condition}"
            f" GROUP BY f.study_id, y.year, f.region_id IS NULL, {fact_dims}, {flags}"
            f") per_study GROUP BY year, regions, {dims}, care",
            [measure],
        )
    # definitions.PARTICIPANTS: the sum of the increments, per region; and per region and
    # recruiting organisation (the participants per site).
    enrolment_dims = ", ".join(f"e.{d}" for d in dims.split(", ")[:4])
    for measure, organisation in (("participants", "0"), (SITES, "e.organisation_id")):
        cursor.execute(
            f"INSERT INTO {BASE} (measure, year, regions, {dims}, care, organisation, value) "
            f"SELECT %s, e.year, CAST({_region_bits_sql('e')} AS BIGINT),"
            f" {enrolment_dims},"
            f" '{FigureCount.ALL}', {_care_sql('e')}, {organisation}, SUM(e.increment)"
            f" FROM {quote(EnrolmentFact._meta.db_table)} e"
            f" WHERE e.region_id IS NOT NULL AND e.year >= %s AND e.year <= %s"
            f" GROUP BY e.year, e.region_id, {enrolment_dims},"
            f" {', '.join(f'e.{field}' for field in CARE_FIELDS.values())}"
            f"{', e.organisation_id' if organisation != '0' else ''}",
            [measure, FIRST_YEAR, until],
        )


def figure_counts_build(*, until: int) -> int:
    """Replace every FigureCount row from the fact tables, for the years up to `until`."""
    table = connection.ops.quote_name(FigureCount._meta.db_table)
    built: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        _base_build(cursor, until)
        # Wider levels first, so that each narrower one is summed from the smallest wider one.
        for level in sorted(LEVELS, key=lambda lv: (-bin(lv).count("1"), -_combinations(lv))):
            wider = [w for w in built if w & level == level]
            source = min(wider, key=built.__getitem__) if wider else None
            kept = [
                column if level & (1 << i) else ("-1" if column == "care" else "'*'")
                for i, column in enumerate(COLUMNS)
            ]
            grouped = [c for i, c in enumerate(COLUMNS) if level & (1 << i)]
            cursor.execute(
                f"INSERT INTO {table} (level, measure, year, regions, {', '.join(COLUMNS)},"
                " organisation, value)"
                f" SELECT {level}, measure, year, regions, {', '.join(kept)}, organisation,"
                " SUM(value)"
                f" FROM {BASE if source is None else table}"
                f"{'' if source is None else f' WHERE level = {source}'}"
                f" GROUP BY {', '.join(['measure', 'year', 'regions', *grouped, 'organisation'])}"
            )
            built[level] = cursor.rowcount
        cursor.execute(f"DROP TABLE {BASE}")
        cursor.execute(f"ANALYZE {table}")
    return sum(built.values())
