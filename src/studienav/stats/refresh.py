"""Rebuild the fact tables (StudyFact, EnrolmentFact) from the registry: all, or what changed."""

# ruff: noqa: S608 (SQL built from model table and column names and constants; values as parameters)
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from studienav.core.bulk import planner_statistics_refresh
from studienav.core.selectors import node_regions
from studienav.registry.models import (
    PUBLIC_STATES,
    EnrolmentReport,
    OverallStatus,
    Site,
    Study,
)
from studienav.stats.combos import dims_sql
from studienav.stats.cube import figure_counts_build
from studienav.stats.keyfigures import actuals_keep
from studienav.stats.models import EnrolmentFact, FactRefresh, StudyFact

CLOSED_STATUSES = (OverallStatus.COMPLETED, OverallStatus.TERMINATED)
DIMENSIONS = (
    "study_type",
    "sponsor_type",
    "phase",
    "therapeutic_area",
    "in_hospital_care",
    "in_primary_care",
    "in_dental_care",
)
STARTS = "stats_refresh_starts"
CHOSEN = "stats_refresh_studies"


@dataclass
class RefreshResult:
    studies: int
    study_facts: int
    enrolment_facts: int


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _year(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"
    return f"CAST(substr({column}, 1, 4) AS INTEGER)"  # SQLite keeps dates as YYYY-MM-DD


def _earlier(a: str, b: str) -> str:
    """The earlier of two dates, either of which may be unknown (NULL)."""
    return f"CASE WHEN {a} IS NULL OR {b} < {a} THEN {b} ELSE {a} END"


def _later(a: str, b: str) -> str:
    return f"CASE WHEN {b} > {a} THEN {b} ELSE {a} END"


def _counted_sql(ids: list[int] | None) -> tuple[str, list[Any]]:
    """definitions.COUNTED_STUDIES: public, not merged away, not withdrawn before it started."""
    states = ", ".join(["%s"] * len(PUBLIC_STATES))
    where = f"s.state IN ({states}) AND s.merged_into_id IS NULL AND s.overall_status <> %s" + (
        "" if ids is None else f" AND s.id IN (SELECT study_id FROM {CHOSEN})"
    )
    return where, [*PUBLIC_STATES, OverallStatus.WITHDRAWN]


def _facts_insert(cursor: Any, ids: list[int] | None, regions: list[int]) -> None:
    """StudyFact and EnrolmentFact rows for the counted studies, in SQL."""
    counted, params = _counted_sql(ids)
    in_node = ", ".join(str(int(r)) for r in regions) or "NULL"
    study, site, report = _table(Study), _table(Site), _table(EnrolmentReport)
    # definitions.STARTED, per region: first site opened or first participant reported.
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STARTS} (study_id integer, region_id integer, start date)"
    )
    first_enrolled = (
        f"(SELECT MIN(r.reported_on) FROM {report} r"
        " WHERE r.site_id = t.id AND r.actual_enrolment > 0)"
    )
    cursor.execute(
        f"INSERT INTO {STARTS} (study_id, region_id, start)"
        f" SELECT t.study_id, t.region_id, MIN({_earlier('t.start_date', first_enrolled)})"
        f" FROM {site} t JOIN {study} s ON s.id = t.study_id"
        f" WHERE {counted} AND t.region_id IN ({in_node})"
        " GROUP BY t.study_id, t.region_id",
        params,
    )
    cursor.execute(f"CREATE INDEX {STARTS}_study ON {STARTS} (study_id)")
    # The node's start: the earliest in any region, else the study's own (first enrolment).
    node_start = (
        f"COALESCE((SELECT MIN(y.start) FROM {STARTS} y WHERE y.study_id = s.id),"
        " s.actual_start_date)"
    )
    starts = (
        f"SELECT s.id AS study_id, NULL AS region_id, {node_start} AS start FROM {study} s"
        f" WHERE {counted} AND (s.lead_region_id IN ({in_node})"
        f" OR EXISTS (SELECT 1 FROM {STARTS} y WHERE y.study_id = s.id))"
        f" UNION ALL SELECT x.study_id, x.region_id, COALESCE(x.start, {node_start})"
        f" FROM {STARTS} x JOIN {study} s ON s.id = x.study_id"
    )
    closed = ", ".join(["%s"] * len(CLOSED_STATUSES))
    dims = ", ".join(DIMENSIONS)
    # definitions.ONGOING and COMPLETED: the last day ongoing (NULL: still ongoing).
    end = (
        "CASE WHEN s.actual_end_date IS NOT NULL THEN "
        + _later("s.actual_end_date", "b.start")
        + f" WHEN s.overall_status IN ({closed}) THEN COALESCE("
        + _later("s.planned_end_date", "b.start")
        + ", b.start) END"
    )
    common = f"overall_status, status_confirmed_at, {dims}"
    cursor.execute(
        f"INSERT INTO {_table(StudyFact)} (study_id, region_id, start_date, start_year,"
        f" end_date, end_year, is_completed, dims, {common})"
        f" SELECT study_id, region_id, start, {_year('start')}, end_date, {_year('end_date')},"
        f" is_completed, dims, {common} FROM ("
        f" SELECT b.study_id, b.region_id, b.start, {end} AS end_date,"
        f" s.actual_end_date IS NOT NULL AS is_completed, {dims_sql('s')} AS dims,"
        f" {', '.join(f's.{c}' for c in common.split(', '))}"
        f" FROM ({starts}) b JOIN {study} s ON s.id = b.study_id WHERE b.start IS NOT NULL"
        ") f",
        [*CLOSED_STATUSES, *params],
    )
    # definitions.PARTICIPANTS: increments between a site's successive reports.
    previous = (
        "LAG(r.actual_enrolment, 1, 0) OVER (PARTITION BY r.site_id ORDER BY r.reported_on, r.id)"
    )
    cursor.execute(
        f"INSERT INTO {_table(EnrolmentFact)} (report_id, site_id, organisation_id, study_id,"
        f" region_id, reported_on, year, increment, dims, {dims})"
        f" SELECT r.id, r.site_id, t.organisation_id, t.study_id, t.region_id, r.reported_on,"
        f" {_year('r.reported_on')}, r.actual_enrolment - {previous}, {dims_sql('s')},"
        f" {', '.join(f's.{d}' for d in DIMENSIONS)}"
        f" FROM {report} r JOIN {site} t ON t.id = r.site_id JOIN {study} s ON s.id = t.study_id"
        f" WHERE {counted} AND t.region_id IN ({in_node})",
        params,
    )
    cursor.execute(f"DROP TABLE {STARTS}")


def _changed_since(moment: datetime) -> list[int]:
    changed = set(Study.objects.filter(updated_at__gte=moment).values_list("pk", flat=True))
    changed |= set(Site.objects.filter(updated_at__gte=moment).values_list("study_id", flat=True))
    changed |= set(
        EnrolmentReport.objects.filter(created_at__gte=moment).values_list(
            "site__study_id", flat=True
        )
    )
    return sorted(changed)


def _delete(model: type[models.Model], ids: list[int] | None) -> None:
    where = "" if ids is None else f" WHERE study_id IN (SELECT study_id FROM {CHOSEN})"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(model)}{where}")


@transaction.atomic
def facts_refresh(*, full: bool = False, study_ids: list[int] | None = None) -> RefreshResult:
    """Rebuild the facts: all of them, the given studies, or those changed since the last run.

    The facts are computed in SQL (INSERT ... SELECT); then every FigureCount row is rebuilt
    from them, so the charts show the refreshed facts from the same commit on.
    """
    last = FactRefresh.objects.filter(finished_at__isnull=False).first()
    run = FactRefresh.objects.create(full=full or last is None)
    if run.full:
        # The registry may have grown in bulk since the planner last looked (imports, a new
        # node): without fresh statistics PostgreSQL plans the per-site starts for a handful
        # of studies and takes many minutes at 500,000.
        planner_statistics_refresh(Study, Site, EnrolmentReport)
    if study_ids is None and not run.full and last is not None:
        study_ids = _changed_since(last.started_at)
    ids = None if run.full else sorted(set(study_ids or []))
    regions = sorted(node_regions().values_list("pk", flat=True))
    counted = 0
    with connection.cursor() as cursor:
        if ids is not None:
            cursor.execute(f"CREATE TEMPORARY TABLE {CHOSEN} (study_id integer PRIMARY KEY)")
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cursor.execute(
                    f"INSERT INTO {CHOSEN} (study_id) VALUES {', '.join(['(%s)'] * len(chunk))}",
                    chunk,
                )
        _delete(StudyFact, ids)
        _delete(EnrolmentFact, ids)
        if ids is None or ids:
            where, params = _counted_sql(ids)
            cursor.execute(f"SELECT COUNT(*) FROM {_table(Study)} s WHERE {where}", params)
            counted = cursor.fetchone()[0]
            _facts_insert(cursor, ids, regions)
        if ids is not None:
            cursor.execute(f"DROP TABLE {CHOSEN}")
        if run.full:
            # Fresh statistics for the query planner (SQLite needs them to pick an index).
            for model in (StudyFact, EnrolmentFact):
                cursor.execute(f"ANALYZE {_table(model)}")
    run.last_year = timezone.localdate().year
    figure_counts_build(until=run.last_year)
    actuals_keep(run, today=timezone.localdate())
    run.finished_at = timezone.now()
    run.studies = counted
    run.save(update_fields=["finished_at", "studies", "last_year", "actuals"])
    return RefreshResult(counted, StudyFact.objects.count(), EnrolmentFact.objects.count())
