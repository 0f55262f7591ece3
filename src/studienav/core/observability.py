"""One log line per request and Prometheus metrics at /metrics (prometheus-client).

The log line names the method, the path (never the query string; secret link tokens blanked),
the status, the duration, the route, the request id the audit trail records and the signed-in
person's id. With several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR to an empty directory
(emptied at each start) so that /metrics adds up every worker's counts.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.django import PrometheusDjangoView
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from studienav.core.clients import client_address
from studienav.core.jobs import jobs_status
from studienav.core.outbox import outbox_stuck, outbox_unsent

logger = logging.getLogger("studienav.requests")

# URL arguments that are secrets (links sent by e-mail): never written to a log.
SECRET_URL_ARGUMENTS = frozenset({"token", "uidb64"})
PATH_LENGTH = 200

REQUESTS = Counter(
    "studienav_http_requests",
    "Requests answered, by route name and status class.",
    ["route", "status"],
)
LATENCY = Histogram(
    "studienav_http_request_duration_seconds",
    "Time to answer a request, by route name and status class.",
    ["route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None and match.view_name else "unmatched"


def _loggable_path(request: HttpRequest) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name, value in match.kwargs.items():
            if name in SECRET_URL_ARGUMENTS and isinstance(value, str) and value:
                path = path.replace(value, "…")
    return path[:PATH_LENGTH]


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in person's id if the request already looked them up (no extra query)."""
    user = getattr(request, "user", None)
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user.__dict__.get("_wrapped", empty) is empty:
        return None
    return int(user.pk) if user.is_authenticated else None


class RequestLogMiddleware:
    """Write one line per request to the `studienav.requests` log; count it for /metrics."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        route = _route(request)
        status = response.status_code
        if settings.METRICS_ENABLED:
            status_class = f"{status // 100}xx"
            REQUESTS.labels(route=route, status=status_class).inc()
            LATENCY.labels(route=route, status=status_class).observe(seconds)
        path = _loggable_path(request)
        duration_ms = round(seconds * 1000, 1)
        logger.info(
            "%s %s %s %sms",
            request.method,
            path,
            status,
            duration_ms,
            extra={
                "method": request.method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "user_id": _user_id(request),
            },
        )
        return response


class DatabaseCollector(Collector):
    """Figures read from the database at each scrape: the outbox and the jobs' ages."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        up = GaugeMetricFamily("studienav_database_up", "1 if the database answered the scrape.")
        try:
            figures = list(self._figures(now))
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures

    def _figures(self, now: Any) -> Iterator[Metric]:
        queued = GaugeMetricFamily("studienav_outbox_queued", "E-mail in the outbox not yet sent.")
        queued.add_metric([], outbox_unsent().count())
        yield queued
        stuck = GaugeMetricFamily(
            "studienav_outbox_stuck",
            "Unsent e-mail that failed EMAIL_OUTBOX_STUCK_ATTEMPTS times or more.",
        )
        stuck.add_metric([], outbox_stuck().count())
        yield stuck
        age = GaugeMetricFamily(
            "studienav_job_age_seconds", "Seconds since the job last started.", labels=["job"]
        )
        overdue = GaugeMetricFamily(
            "studienav_job_overdue", "1 if the job is over two intervals late.", labels=["job"]
        )
        last_ok = GaugeMetricFamily(
            "studienav_job_last_ok", "1 if the job's last run succeeded.", labels=["job"]
        )
        for status in jobs_status(now=now):
            if not status.is_enabled:
                continue
            if status.last_started_at is not None:
                age.add_metric([status.name], (now - status.last_started_at).total_seconds())
            overdue.add_metric([status.name], int(status.is_overdue))
            if status.last_run is not None and status.last_run.ok is not None:
                last_ok.add_metric([status.name], int(status.last_run.ok))
        yield age
        yield overdue
        yield last_ok


class _ProcessCollector(Collector):
    """This process's own metrics (one worker, no PROMETHEUS_MULTIPROC_DIR)."""

    def collect(self) -> Iterator[Metric]:
        return iter(REGISTRY.collect())


def metrics_registry() -> CollectorRegistry:
    """What one scrape reports: the request counts (of every worker in multiprocess mode)
    and the figures read from the database."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(DatabaseCollector())
    return registry


def _address_allowed(address: str) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.METRICS_ALLOWED_ADDRESSES:
        try:
            if client in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def metrics_allowed(request: HttpRequest) -> bool:
    """A scraper with the bearer token METRICS_TOKEN, or from METRICS_ALLOWED_ADDRESSES."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
            return True
    return _address_allowed(client_address(request))


class MetricsView(PrometheusDjangoView):
    """/metrics, only with METRICS_ENABLED and for allowed scrapers."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.METRICS_ENABLED:
            raise Http404
        if not metrics_allowed(request):
            raise PermissionDenied
        self.registry = metrics_registry()
        response: HttpResponse = super().get(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


metrics = MetricsView.as_view()
