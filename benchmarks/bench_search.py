"""Search on N generated studies: p50/p95 of a text query with two filters and facet counts
(the service, the results page and the JSON API), and of a study page.

Uses the database of DATABASE_URL (migrated here). When it holds fewer than N studies,
`studienav demo-data --studies K` generates the rest (DEBUG must be on) and indexes them.

With BENCH_POSTGRES_URL naming a PostgreSQL database, `python -m benchmarks` runs this and
bench_load once on SQLite (DATABASE_URL when it is SQLite, else the default database) and once
on PostgreSQL, and writes both with their ratio into one file (`databases_compare`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FULL_SIZE = 500_000
ROUNDS = 60
# The benchmarks that run on both databases when BENCH_POSTGRES_URL is given.
SIDE_BY_SIDE = ("bench_search", "bench_load")
# Figures compared as PostgreSQL's over SQLite's: times, and requests a second.
_RATIO_SUFFIXES = ("_ms", "_per_s")


def _timed(call: Callable[[int], object], rounds: int = ROUNDS) -> dict[str, float]:
    call(0)  # warm caches
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 1),
        "max_ms": round(samples[-1], 1),
    }


def studies_ensure(scale: float) -> tuple[int, dict[str, float]]:
    """Migrate the database of DATABASE_URL and make sure it holds the scaled number of
    generated studies (about four in five of them public) with their search index; returns
    the number of public studies and the seconds spent setting up."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from studienav.core.models import Region
    from studienav.core.reference import reference_data_load
    from studienav.registry.models import Study
    from studienav.registry.selectors import studies_public
    from studienav.search.index import search_reindex
    from studienav.search.models import SearchEntry

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        reference_data_load()
    n = max(100, int(FULL_SIZE * scale))
    have = Study.objects.count()
    setup: dict[str, float] = {}
    if have < n:
        if not settings.DEBUG:
            raise SystemExit("generating demo studies needs DEBUG=true")
        started = time.monotonic()
        call_command("demo_data", studies=n - have, quiet=True)
        setup["generate_and_index_s"] = round(time.monotonic() - started, 1)
    elif SearchEntry.objects.count() < studies_public().count():
        started = time.monotonic()
        search_reindex()
        setup["reindex_s"] = round(time.monotonic() - started, 1)
    if setup and connection.vendor == "postgresql":
        # What autovacuum does on a running server some minutes after a bulk write: the
        # visibility map that index-only scans need, and fresh statistics.
        started = time.monotonic()
        with connection.cursor() as cursor:
            for table in (
                "search_searchentry",
                "search_searchtext",
                "search_searchsite",
                "search_searchword",
            ):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        setup["vacuum_s"] = round(time.monotonic() - started, 1)
    return studies_public().count(), setup


def run(scale: float = 1.0) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from studienav.registry.selectors import studies_public
    from studienav.search.services import SearchParams, study_search

    public, setup = studies_ensure(scale)
    words = ["diabetes", "cancer", "astma", "hjärtsvikt", "depression", "stroke"]
    regions = ["03", "18", "21", "17", "20", "19", "04"]

    def service(i: int) -> object:
        return study_search(
            SearchParams(
                q=words[i % len(words)],
                regions=[regions[i % len(regions)]],
                statuses=["recruiting"],
                limit=20,
                facets=True,
            )
        )

    client = Client()

    def results_page(i: int) -> object:
        response = client.get(
            "/studies/",
            {
                "q": words[i % len(words)],
                "region": regions[i % len(regions)],
                "status": "recruiting",
            },
        )
        assert response.status_code == 200, response.status_code
        return response

    def api(i: int) -> object:
        response = client.get(
            "/api/v1/studies",
            {
                "q": words[i % len(words)],
                "region": regions[i % len(regions)],
                "status": "recruiting",
                "facets": "true",
                "limit": "20",
            },
        )
        assert response.status_code == 200, response.status_code
        return response

    ids = list(studies_public().order_by("?").values_list("pk", flat=True)[:ROUNDS])

    def study_page(i: int) -> object:
        response = client.get(f"/studies/{ids[i % len(ids)]}/")
        assert response.status_code == 200, response.status_code
        return response

    result: dict[str, Any] = {
        "database": connection.vendor,
        "studies_public": public,
        "setup": setup,
        "query": "q + region + status=recruiting, facets, limit 20",
        "search_service": _timed(service),
        "results_page": _timed(results_page),
        "study_page": _timed(study_page),
    }
    try:
        result["api_studies"] = _timed(api)
    except AssertionError as error:  # the API may not be mounted in this tree yet
        result["api_studies"] = {"error": str(error)}
    return result


def _ratios(sqlite: Any, postgresql: Any) -> Any:
    """PostgreSQL's figure over SQLite's, for every time and rate both results hold."""
    if not isinstance(sqlite, dict) or not isinstance(postgresql, dict):
        return None
    out: dict[str, Any] = {}
    for key, value in sqlite.items():
        other = postgresql.get(key)
        if isinstance(value, dict):
            if (inner := _ratios(value, other)) is not None and inner:
                out[key] = inner
        elif (
            key.endswith(_RATIO_SUFFIXES)
            and isinstance(value, int | float)
            and isinstance(other, int | float)
            and value
        ):
            out[key] = round(other / value, 2)
    return out


def databases_compare(name: str, scale: float, postgres_url: str) -> dict[str, Any]:
    """Run benchmark `name` on SQLite and then on PostgreSQL, each in a process of its own (the
    settings name one database per process), and return both results with the ratios of
    their figures (PostgreSQL over SQLite: above 1 is slower, or more requests a second)."""
    env = {key: value for key, value in os.environ.items() if key != "BENCH_POSTGRES_URL"}
    sqlite_env = dict(env)
    if not sqlite_env.get("DATABASE_URL", "").startswith("sqlite"):
        sqlite_env.pop("DATABASE_URL", None)  # the settings' default SQLite database
    results: dict[str, Any] = {}
    for vendor, run_env in (
        ("sqlite", sqlite_env),
        ("postgresql", {**env, "DATABASE_URL": postgres_url}),
    ):
        out = Path("var/bench") / f"{name}.json"
        out.unlink(missing_ok=True)
        command = [sys.executable, "-m", "benchmarks", name, "--scale", str(scale)]
        subprocess.run(command, env=run_env, check=True)  # noqa: S603 (our own interpreter)
        results[vendor] = json.loads(out.read_text())
        out.with_name(f"{name}-{vendor}.json").write_text(out.read_text())
    return {
        "database": "sqlite and postgresql",
        "sqlite": results["sqlite"],
        "postgresql": results["postgresql"],
        "postgresql_over_sqlite": _ratios(results["sqlite"], results["postgresql"]),
    }
