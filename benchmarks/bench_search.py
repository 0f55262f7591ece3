"""Search on N generated studies: p50/p95 of a text query with two filters and facet counts
(the service, the results page and the JSON API), and of a study page.

Uses the database of DATABASE_URL (migrated here). When it holds fewer than N studies,
`studienav demo-data --studies K` generates the rest (DEBUG must be on) and indexes them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

FULL_SIZE = 500_000
ROUNDS = 60


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
