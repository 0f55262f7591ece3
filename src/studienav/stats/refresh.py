"""Rebuild the fact tables (StudyFact, EnrolmentFact) from the registry: all, or what changed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from studienav.core.selectors import node_regions
from studienav.registry.models import (
    PUBLIC_STATES,
    EnrolmentReport,
    OverallStatus,
    Site,
    Study,
)
from studienav.stats.models import EnrolmentFact, FactRefresh, StudyFact

BATCH = 2000
CLOSED_STATUSES = (OverallStatus.COMPLETED, OverallStatus.TERMINATED)
STUDY_FIELDS = (
    "id",
    "lead_region_id",
    "overall_status",
    "actual_start_date",
    "actual_end_date",
    "planned_end_date",
    "study_type",
    "sponsor_type",
    "phase",
    "therapeutic_area",
    "in_hospital_care",
    "in_primary_care",
    "in_dental_care",
    "status_confirmed_at",
)
DIMENSIONS = (
    "study_type",
    "sponsor_type",
    "phase",
    "therapeutic_area",
    "in_hospital_care",
    "in_primary_care",
    "in_dental_care",
)


@dataclass
class RefreshResult:
    studies: int
    study_facts: int
    enrolment_facts: int


def _earliest(dates: Iterable[date | None]) -> date | None:
    known = [d for d in dates if d is not None]
    return min(known) if known else None


def study_end(study: dict[str, Any], start: date) -> tuple[date | None, bool]:
    """definitions.ONGOING and COMPLETED: (last day ongoing or None, whether it completed)."""
    if study["actual_end_date"] is not None:
        return max(study["actual_end_date"], start), True
    if study["overall_status"] in CLOSED_STATUSES:
        planned = study["planned_end_date"]
        return (max(planned, start) if planned else start), False
    return None, False


def _counted_studies(ids: list[int] | None) -> Iterator[dict[str, Any]]:
    # definitions.COUNTED_STUDIES: public, not merged away, not withdrawn before it started.
    queryset = Study.objects.filter(state__in=PUBLIC_STATES, merged_into__isnull=True).exclude(
        overall_status=OverallStatus.WITHDRAWN
    )
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk").values(*STUDY_FIELDS)[:BATCH])
        if not batch:
            return
        yield from batch
        last = batch[-1]["id"]


def _facts_for_batch(
    studies: list[dict[str, Any]], regions: set[int]
) -> tuple[list[StudyFact], list[EnrolmentFact]]:
    ids = [s["id"] for s in studies]
    sites: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for site_row in Site.objects.filter(study_id__in=ids, region_id__in=regions).values(
        "id", "study_id", "region_id", "start_date"
    ):
        sites[site_row["study_id"]].append(dict(site_row))
    site_ids = [site["id"] for rows in sites.values() for site in rows]
    reports: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for report_row in (
        EnrolmentReport.objects.filter(site_id__in=site_ids)
        .order_by("site_id", "reported_on", "id")
        .values("id", "site_id", "reported_on", "actual_enrolment")
    ):
        reports[report_row["site_id"]].append(dict(report_row))

    study_facts: list[StudyFact] = []
    enrolment_facts: list[EnrolmentFact] = []
    for study in studies:
        dims = {name: study[name] for name in DIMENSIONS}
        study_sites = sites.get(study["id"], [])
        if not study_sites and study["lead_region_id"] not in regions:
            continue
        # definitions.STARTED, per region: first site opened or first participant reported.
        region_starts: dict[int, date | None] = {}
        for site in study_sites:
            first_enrolled = next(
                (r["reported_on"] for r in reports.get(site["id"], []) if r["actual_enrolment"]),
                None,
            )
            site_start = _earliest([site["start_date"], first_enrolled])
            site_region = site["region_id"]
            region_starts[site_region] = _earliest([region_starts.get(site_region), site_start])
        node_start = _earliest([*region_starts.values()]) or study["actual_start_date"]
        if node_start is not None:
            rows: list[tuple[int | None, date]] = [(None, node_start)]
            rows += [(region, start or node_start) for region, start in region_starts.items()]
            for region, start in rows:
                end, completed = study_end(study, start)
                study_facts.append(
                    StudyFact(
                        study_id=study["id"],
                        region_id=region,
                        start_date=start,
                        start_year=start.year,
                        end_date=end,
                        end_year=end.year if end else None,
                        is_completed=completed,
                        overall_status=study["overall_status"],
                        status_confirmed_at=study["status_confirmed_at"],
                        **dims,
                    )
                )
        # definitions.PARTICIPANTS: increments between a site's successive reports.
        for site in study_sites:
            previous = 0
            for report in reports.get(site["id"], []):
                enrolment_facts.append(
                    EnrolmentFact(
                        report_id=report["id"],
                        site_id=site["id"],
                        study_id=study["id"],
                        region_id=site["region_id"],
                        reported_on=report["reported_on"],
                        year=report["reported_on"].year,
                        increment=report["actual_enrolment"] - previous,
                        **dims,
                    )
                )
                previous = report["actual_enrolment"]
    return study_facts, enrolment_facts


def _changed_since(moment: datetime) -> list[int]:
    changed = set(Study.objects.filter(updated_at__gte=moment).values_list("pk", flat=True))
    changed |= set(Site.objects.filter(updated_at__gte=moment).values_list("study_id", flat=True))
    changed |= set(
        EnrolmentReport.objects.filter(created_at__gte=moment).values_list(
            "site__study_id", flat=True
        )
    )
    return sorted(changed)


@transaction.atomic
def facts_refresh(*, full: bool = False, study_ids: list[int] | None = None) -> RefreshResult:
    """Rebuild the facts: all of them, the given studies, or those changed since the last run."""
    last = FactRefresh.objects.filter(finished_at__isnull=False).first()
    run = FactRefresh.objects.create(full=full or last is None)
    if study_ids is None and not run.full and last is not None:
        study_ids = _changed_since(last.started_at)
    if run.full:
        study_ids = None
        StudyFact.objects.all().delete()
        EnrolmentFact.objects.all().delete()
    else:
        StudyFact.objects.filter(study_id__in=study_ids or []).delete()
        EnrolmentFact.objects.filter(study_id__in=study_ids or []).delete()
    regions = set(node_regions().values_list("pk", flat=True))
    counted = study_facts = enrolment_facts = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal study_facts, enrolment_facts
        facts, enrolments = _facts_for_batch(batch, regions)
        StudyFact.objects.bulk_create(facts, batch_size=BATCH)
        EnrolmentFact.objects.bulk_create(enrolments, batch_size=BATCH)
        study_facts += len(facts)
        enrolment_facts += len(enrolments)
        batch.clear()

    if run.full or study_ids:
        for study in _counted_studies(study_ids):
            batch.append(study)
            counted += 1
            if len(batch) >= BATCH:
                flush()
        flush()
    if run.full:
        # Fresh statistics for the query planner (SQLite needs them to pick the covering index).
        with connection.cursor() as cursor:
            for table in (StudyFact._meta.db_table, EnrolmentFact._meta.db_table):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    run.finished_at = timezone.now()
    run.studies = counted
    run.save(update_fields=["finished_at", "studies"])
    return RefreshResult(counted, study_facts, enrolment_facts)
