"""Statistics on N generated studies: p95 of filtered charts, the whole dashboard, the annual PDF.

Uses the database of DATABASE_URL (migrated here); generates studies with sites and enrolment
histories by bulk insert when fewer than N benchmark studies exist, then rebuilds the facts.
Besides var/bench/bench_stats.json, writes var/bench/bench_stats-<database>.json, so that the
SQLite and PostgreSQL figures sit side by side.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH_SOURCE = "bench-stats"
FULL_SIZE = 500_000


def _generate(n: int, rng: random.Random) -> None:
    from studienav.core.models import Organisation, Region
    from studienav.core.selectors import node_regions
    from studienav.registry.models import (
        EnrolmentReport,
        OverallStatus,
        Phase,
        Site,
        SponsorType,
        Study,
        StudyIdentifier,
        StudyState,
        StudyType,
        TherapeuticArea,
    )

    regions = [*node_regions(), Region.objects.get(code="01")]
    organisations: dict[int, list[int]] = {}
    for region in regions:
        existing = list(
            Organisation.objects.filter(region=region, name__startswith="Bench ").values_list(
                "pk", flat=True
            )
        )
        if len(existing) < 5:
            made = Organisation.objects.bulk_create(
                Organisation(name=f"Bench {region.short_name} {i}", type="hospital", region=region)
                for i in range(5)
            )
            existing = [o.pk for o in made]
        organisations[region.pk] = existing
    statuses = [s.value for s in OverallStatus]
    today = date.today()
    done = Study.objects.filter(source=BENCH_SOURCE).count()
    batch = 5000
    while done < n:
        size = min(batch, n - done)
        studies = []
        for i in range(size):
            start = date(2014, 1, 1) + timedelta(
                days=rng.randrange(0, (today - date(2014, 1, 1)).days)
            )
            status = rng.choice(statuses)
            closed = status in ("completed", "terminated")
            end = start + timedelta(days=rng.randrange(60, 2000)) if closed else None
            studies.append(
                Study(
                    public_title=f"Bench study {done + i}",
                    state=StudyState.PUBLISHED if rng.random() < 0.9 else StudyState.DRAFT,
                    study_type=rng.choice(list(StudyType.values)),
                    sponsor_type=rng.choice(list(SponsorType.values)),
                    phase=rng.choice(list(Phase.values)),
                    therapeutic_area=rng.choice(list(TherapeuticArea.values)),
                    overall_status=status,
                    in_primary_care=rng.random() < 0.2,
                    in_dental_care=rng.random() < 0.05,
                    actual_start_date=start,
                    actual_end_date=end if end and end < today else None,
                    status_confirmed_at=None,
                    source=BENCH_SOURCE,
                )
            )
        created = Study.objects.bulk_create(studies)
        sites = []
        identifiers = []
        for study in created:
            identifiers.append(
                StudyIdentifier(study=study, scheme="nct", value=f"NCT{90000000 + study.pk:08d}")
            )
            assert study.actual_start_date is not None
            for region in rng.sample(regions, rng.choice([1, 1, 2, 3])):
                opened = study.actual_start_date + timedelta(days=rng.randrange(0, 400))
                sites.append(
                    Site(
                        study=study,
                        organisation_id=rng.choice(organisations[region.pk]),
                        region=region,
                        start_date=opened if opened < today else None,
                    )
                )
        StudyIdentifier.objects.bulk_create(identifiers)
        Site.objects.bulk_create(sites)
        reports = []
        for site in sites:
            if site.start_date is None:
                continue
            value = 0
            day = site.start_date
            for _ in range(rng.randrange(0, 5)):
                day += timedelta(days=rng.randrange(30, 300))
                if day >= today:
                    break
                value = max(0, value + rng.randrange(-2, 15))
                reports.append(EnrolmentReport(site=site, reported_on=day, actual_enrolment=value))
        EnrolmentReport.objects.bulk_create(reports)
        done += size


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def run(scale: float = 1.0) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from studienav.core.models import Region
    from studienav.core.reference import reference_data_load
    from studienav.core.selectors import node_regions
    from studienav.registry.models import Study
    from studienav.stats import cube
    from studienav.stats.framework import Filters, figures_all
    from studienav.stats.keyfigures import key_figures
    from studienav.stats.models import FigureCount
    from studienav.stats.refresh import facts_refresh
    from studienav.stats.report import annual_report_pdf

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        reference_data_load()
    n = max(100, int(FULL_SIZE * scale))
    rng = random.Random(2025)  # reproducible data, not secrets
    started = time.perf_counter()
    _generate(n, rng)
    generate_s = time.perf_counter() - started
    started = time.perf_counter()
    refreshed = facts_refresh(full=True)
    refresh_s = time.perf_counter() - started
    # An hourly run after a hundred studies changed.
    changed = list(Study.objects.filter(source=BENCH_SOURCE).values_list("pk", flat=True)[:100])
    Study.objects.filter(pk__in=changed).update(updated_at=timezone.now())
    started = time.perf_counter()
    incremental = facts_refresh()
    incremental_s = time.perf_counter() - started

    regions = list(node_regions())
    this_year = date.today().year
    choices = {
        "study_type": ["", "drug", "device", "observational"],
        "sponsor_type": ["", "industry", "academic"],
        "phase": ["", "2", "3"],
        "therapeutic_area": ["", "II", "IX"],
        "care_setting": ["", "primary_care"],
        "by": ["region", "study_type", "sponsor_type", "phase", "care_setting", "total"],
    }
    timings: list[float] = []
    from_counts = 0
    slowest: list[tuple[float, str, str]] = []
    figures = figures_all(public_only=True)
    for _i in range(60):
        year_from = rng.randrange(2016, this_year + 1)
        filters = Filters(
            year_from=year_from,
            year_to=rng.randrange(year_from, this_year + 1),
            regions=tuple(sorted({r.pk for r in rng.sample(regions, rng.choice([0, 1, 2]))})),
            **{name: rng.choice(values) for name, values in choices.items()},
        )
        from_counts += cube.counts(filters, "ongoing", filters.by) is not None
        for figure in figures:
            begin = time.perf_counter()
            figure.query(filters)
            elapsed = time.perf_counter() - begin
            timings.append(elapsed)
            slowest.append((elapsed, figure.slug, repr(filters)))
    client = Client()
    page_times = []
    for _i in range(5):
        begin = time.perf_counter()
        response = client.get("/statistics/")
        assert response.status_code == 200
        page_times.append(time.perf_counter() - begin)
    # The first view after a refresh computes the key figures (stats-refresh does it itself
    # when run as the command); later views read them from the cache.
    key_times = []
    for _i in range(6):
        begin = time.perf_counter()
        key_figures(year=this_year, today=date.today(), regions=regions)
        key_times.append(time.perf_counter() - begin)
    key_first, key_times = key_times[0], key_times[1:]
    begin = time.perf_counter()
    pdf = annual_report_pdf(year=this_year - 1, language="en")
    pdf_s = time.perf_counter() - begin
    result = {
        "database": connection.vendor,
        "studies": Study.objects.count(),
        "counted_studies": refreshed.studies,
        "study_facts": refreshed.study_facts,
        "enrolment_facts": refreshed.enrolment_facts,
        "figure_counts": FigureCount.objects.count(),
        "generate_s": round(generate_s, 2),
        "refresh_full_s": round(refresh_s, 2),
        "refresh_incremental_studies": incremental.studies,
        "refresh_incremental_s": round(incremental_s, 2),
        "chart_queries": len(timings),
        "charts_from_counts_share": round(from_counts / 60, 2),
        "chart_p95_ms": round(_p95(timings) * 1000, 1),
        "chart_median_ms": round(statistics.median(timings) * 1000, 1),
        "chart_max_ms": round(max(timings) * 1000, 1),
        "slowest_charts": [
            {"ms": round(t * 1000, 1), "figure": slug, "filters": text}
            for t, slug, text in sorted(slowest, reverse=True)[:5]
        ],
        "public_page_median_ms": round(statistics.median(page_times) * 1000, 1),
        "public_page_max_ms": round(max(page_times) * 1000, 1),
        "key_figures_first_after_refresh_ms": round(key_first * 1000, 1),
        "key_figures_dashboard_median_ms": round(statistics.median(key_times) * 1000, 1),
        "key_figures_dashboard_max_ms": round(max(key_times) * 1000, 1),
        "pdf_s": round(pdf_s, 2),
        "pdf_bytes": len(pdf),
    }
    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    by_database = out / f"bench_stats-{connection.vendor}.json"
    by_database.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result
