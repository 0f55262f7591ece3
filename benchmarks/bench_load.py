"""Load on the production server: 16 clients in a separate process send a mix of search pages,
API searches and study pages for a fixed time; requests a second, p50/p95 and errors.

The server runs as docs/operations.md documents it: gunicorn with 4 workers of 2 threads,
DEBUG=0 with the settings production requires (test keys here), the machine's Redis as the
shared cache (emptied first; BENCH_CACHE_URL overrides), static files collected, on
127.0.0.1 and a free port. The clients send `X-Forwarded-Proto: https` as the TLS proxy in
front of it would (BEHIND_PROXY=1). The API rate limit is off (API_RATE_LIMIT=0). Data: the
database of DATABASE_URL, filled like bench_search (DEBUG=true to generate).

The clients draw from 2,000 addresses (500 studies; 360 searches, each as a Swedish and an
English page and an API call), so after the first minute most answers are kept ones, as on a
public site where many ask the same: the figures at the top. The same load is then run with
nothing kept (SEARCH_CACHE_SECONDS=0, every page and search computed): `nothing_kept`.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.bench_search import studies_ensure

CLIENTS = 16
WORKERS = 4
THREADS = 2
WARMUP_S = 5.0
DURATION_S = 30.0
STUDY_SAMPLE = 500
WORDS = [
    "diabetes",
    "cancer",
    "astma",
    "hjärtsvikt",
    "depression",
    "stroke",
    "bröstcancer",
    "reumatoid artrit",
    "kol",
    "migrän",
]
REGIONS = ["01", "03", "04", "05", "12", "14", "17", "18", "19", "20", "21", "25"]
STATUSES = ["recruiting", "not_yet_recruiting", "completed"]
# The shared cache production uses (docs/operations.md): the machine's Redis, its own database.
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/2")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _urls(study_ids: list[int], rng: random.Random, count: int = 2000) -> list[str]:
    """Half study pages, a quarter results pages (Swedish and English), a quarter API searches
    with facets, each search a text query with a region and a status."""
    urls: list[str] = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.5:
            urls.append(f"/studies/{rng.choice(study_ids)}/")
            continue
        query = {"q": rng.choice(WORDS), "region": rng.choice(REGIONS)}
        query["status"] = rng.choice(STATUSES)
        if kind < 0.75:
            prefix = rng.choice(["", "/en"])
            urls.append(f"{prefix}/studies/?{urlencode(query)}")
        else:
            query.update(facets="true", limit="20")
            urls.append(f"/api/v1/studies?{urlencode(query)}")
    return urls


def _client(
    port: int, urls: list[str], seed: int, warm_until: float, stop_at: float, out: list[Any]
) -> None:
    """One client: a keep-alive connection, one request after another until `stop_at`."""
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
    while (now := time.monotonic()) < stop_at:
        url = rng.choice(urls)
        status: int | str
        started = time.perf_counter()
        try:
            connection.request("GET", url, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException) as error:
            status = f"{type(error).__name__}"
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        # Answers during the warm-up count as errors when they fail, not in the timings.
        if now >= warm_until or status != 200:
            out.append((elapsed, status, url, now >= warm_until))
    connection.close()


def drive(port: int, urls: list[str], clients: int, warmup_s: float, duration_s: float) -> dict:
    """Run in its own process: `clients` threads, then the figures of the measured window."""
    start = time.monotonic()
    warm_until, stop_at = start + warmup_s, start + warmup_s + duration_s
    samples: list[Any] = []
    threads = [
        threading.Thread(target=_client, args=(port, urls, n, warm_until, stop_at, samples))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [sample for sample in samples if sample[1] != 200]
    samples = [sample for sample in samples if sample[3]]
    times = sorted(sample[0] for sample in samples)
    by_kind: dict[str, list[float]] = {}
    for elapsed, _status, url, _measured in samples:
        kind = "api" if url.startswith("/api/") else "results" if "?" in url else "study"
        by_kind.setdefault(kind, []).append(elapsed)
    return {
        "requests": len(samples),
        "requests_per_s": round(len(samples) / duration_s, 1),
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1) if times else None,
        "max_ms": round(times[-1], 1) if times else None,
        "errors": len(errors),
        "error_examples": [f"{status} {url}" for _e, status, url, _m in errors[:5]],
        "p95_ms_by_kind": {
            kind: round(sorted(values)[int(len(values) * 0.95) - 1], 1)
            for kind, values in by_kind.items()
            if len(values) >= 20
        },
    }


def _drive_into(queue: Any, *args: Any) -> None:
    queue.put(drive(*args))


def _server_env(var_dir: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-load-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        BEHIND_PROXY="1",
        SITE_URL="https://127.0.0.1",
        STUDIENAV_VAR_DIR=str(var_dir),
        PARTICIPATION_KEYS=Fernet.generate_key().decode(),
        PARTICIPATION_HASH_KEY="bench-load-hash-key",
        AUDIT_KEYS="bench:bench-load-audit-key-" + "x" * 32,
        AUDIT_ANCHOR_DIR=str(var_dir / "audit-anchors"),
        API_RATE_LIMIT="0",
        LOG_LEVEL="WARNING",
        CACHE_URL=CACHE_URL,
    )
    return env


def _cache_empty() -> None:
    """Start from an empty shared cache, so every run pays for its first searches alike."""
    import redis

    redis.Redis.from_url(CACHE_URL).flushdb()


def _wait_ready(port: int, server: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz in time")


def _measured(urls: list[str], **settings: str) -> dict[str, Any]:
    """Start the server (with these settings in its environment), drive it, stop it."""
    with tempfile.TemporaryDirectory(prefix="studienav-load-") as var:
        env = {**_server_env(Path(var)), **settings}
        subprocess.run(
            [sys.executable, "-m", "studienav", "collectstatic", "--no-input", "-v", "0"],
            env=env,
            check=True,
        )
        port = _free_port()
        _cache_empty()
        server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "studienav.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(WORKERS),
                "--threads",
                str(THREADS),
            ],
            env=env,
        )
        try:
            _wait_ready(port, server)
            queue: Any = multiprocessing.get_context("spawn").Queue()
            client = multiprocessing.get_context("spawn").Process(
                target=_drive_into, args=(queue, port, urls, CLIENTS, WARMUP_S, DURATION_S)
            )
            client.start()
            figures: dict[str, Any] = queue.get(timeout=WARMUP_S + DURATION_S + 120)
            client.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return figures


def run(scale: float = 1.0) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection

    from studienav.registry.selectors import studies_public

    public, setup = studies_ensure(scale)
    rng = random.Random(5)
    ids = rng.sample(sorted(studies_public().values_list("pk", flat=True)), STUDY_SAMPLE)
    urls = _urls(ids, rng)
    connection.close()
    figures = _measured(urls)
    # The same load with nothing kept (SEARCH_CACHE_SECONDS=0): every page and search is
    # computed; what the server can do when every request is a new one.
    computed = _measured(urls, SEARCH_CACHE_SECONDS="0")
    return {
        "database": connection.vendor,
        "studies_public": public,
        "setup": setup,
        "server": f"gunicorn, {WORKERS} workers x {THREADS} threads, DEBUG=0, cache {CACHE_URL}",
        "clients": CLIENTS,
        "duration_s": DURATION_S,
        "mix": "50% study pages, 25% results pages (sv/en), 25% API searches with facets",
        "distinct_urls": len(set(urls)),
        **figures,
        "nothing_kept": computed,
    }
