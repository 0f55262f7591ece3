"""One JSON log line per request, with the request id the audit trail records and nothing
personal; Prometheus metrics at /metrics only when turned on, and only for the scraper."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY
from pythonjsonlogger.json import JsonFormatter

from studienav.core.middleware import RequestIdFilter
from studienav.core.models import AuditEvent, OutboxMessage, Role, ScheduledJob, User

pytestmark = pytest.mark.django_db

REQUEST_ID = "probe-0123456789"


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """The request log as production writes it: JSON lines by the configured formatter."""
    logging_settings: dict[str, Any] = settings.LOGGING
    configured: dict[str, Any] = logging_settings["formatters"]["json"]
    options = {k: v for k, v in configured.items() if k != "()"}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**options))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("studienav.requests")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_request_is_one_json_line_without_the_query_string(
    client: Client, request_log: io.StringIO
) -> None:
    client.get("/studies/?q=astma&postcode=75185", HTTP_X_REQUEST_ID=REQUEST_ID)
    [line] = _lines(request_log)
    assert line["method"] == "GET"
    assert line["path"] == "/studies/"
    assert line["status"] == 200
    assert line["route"] == "portal:results"
    assert line["request_id"] == REQUEST_ID
    assert line["user_id"] is None
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"
    assert "astma" not in request_log.getvalue()
    assert "75185" not in request_log.getvalue()


def test_the_line_names_a_signed_in_person_by_id_only(
    client: Client,
    cecilia: User,
    signed_in: Callable[[Client, User], Client],
    request_log: io.StringIO,
) -> None:
    signed_in(client, cecilia)
    client.get(reverse("core:dashboard"))
    [line] = _lines(request_log)
    assert line["user_id"] == cecilia.pk
    assert "cecilia" not in request_log.getvalue().lower()
    assert "Åberg" not in request_log.getvalue()


def test_a_link_token_from_an_e_mail_is_never_logged(
    client: Client, request_log: io.StringIO
) -> None:
    token = "Zq8secret-invitation-token-4711"
    client.get(reverse("core:invitation_accept", args=[token]))
    [line] = _lines(request_log)
    assert line["path"] == "/account/invitation/…/"
    assert token not in request_log.getvalue()


def test_the_logged_request_id_is_the_one_in_the_audit_trail(
    client: Client,
    cecilia: User,
    signed_in: Callable[[Client, User], Client],
    request_log: io.StringIO,
) -> None:
    signed_in(client, cecilia)
    client.post(
        reverse("core:people"),
        {
            "full_name": "Greta Forsberg",
            "email": "greta@test.example",
            "language": "sv",
            "role": Role.RESEARCHER,
        },
        HTTP_X_REQUEST_ID=REQUEST_ID,
    )
    event = AuditEvent.objects.get(action="invitation.create")
    [line] = _lines(request_log)
    assert event.request_id == line["request_id"] == REQUEST_ID
    assert "greta" not in request_log.getvalue()


def _log_format(tmp_path: Path, **extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "LOG_FORMAT"}}
    env.update(
        STUDIENAV_VAR_DIR=str(tmp_path),
        SECRET_KEY="s" * 50,
        PARTICIPATION_KEYS=Fernet.generate_key().decode(),
        PARTICIPATION_HASH_KEY="h" * 40,
        AUDIT_KEYS="prod:" + "k" * 40,
        **extra,
    )
    script = "from django.conf import settings; print(settings.LOG_FORMAT)"
    done = subprocess.run(
        [sys.executable, "-m", "studienav", "shell", "--no-imports", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_logs_are_json_in_production_and_plain_in_development(tmp_path: Path) -> None:
    assert _log_format(tmp_path) == "json"
    assert _log_format(tmp_path, DEBUG="1") == "plain"


def test_metrics_are_not_served_unless_turned_on(client: Client) -> None:
    assert client.get("/metrics").status_code == 404


@override_settings(METRICS_ENABLED=True)
def test_metrics_count_requests_by_route_and_status_class(client: Client) -> None:
    labels = {"route": "portal:results", "status": "2xx"}
    before = REGISTRY.get_sample_value("studienav_http_requests_total", labels) or 0
    client.get("/studies/?q=astma")
    response = client.get("/metrics")
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert REGISTRY.get_sample_value("studienav_http_requests_total", labels) == before + 1
    assert 'studienav_http_requests_total{route="portal:results",status="2xx"}' in body
    assert 'studienav_http_request_duration_seconds_bucket{le="0.5",route="portal:results"' in (
        body
    )
    assert "astma" not in body


@override_settings(METRICS_ENABLED=True)
def test_a_page_that_does_not_exist_is_counted_without_its_path(client: Client) -> None:
    client.get("/no-such-page-4711/")
    body = client.get("/metrics").content.decode()
    assert 'studienav_http_requests_total{route="unmatched",status="4xx"}' in body
    assert "4711" not in body


@override_settings(METRICS_ENABLED=True, METRICS_TOKEN="scrape-token-123")
def test_metrics_refuse_other_addresses_unless_they_bring_the_token(client: Client) -> None:
    outside = "192.0.2.10"
    assert client.get("/metrics", REMOTE_ADDR=outside).status_code == 403
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guessed", REMOTE_ADDR=outside)
    assert wrong.status_code == 403
    right = client.get(
        "/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-123", REMOTE_ADDR=outside
    )
    assert right.status_code == 200


@override_settings(METRICS_ENABLED=True, METRICS_ALLOWED_ADDRESSES=["10.20.0.0/16"])
def test_metrics_are_served_to_an_allowed_network(client: Client) -> None:
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics").status_code == 403


@override_settings(METRICS_ENABLED=True, EMAIL_OUTBOX_DELIVER_ON_COMMIT=False)
def test_metrics_report_the_outbox_and_the_jobs_ages(client: Client) -> None:
    OutboxMessage.objects.create(to="eva@test.example", subject="S", body="B", attempts=6)
    OutboxMessage.objects.create(to="eva@test.example", subject="S", body="B")
    ScheduledJob.objects.create(
        name="outbox-deliver", last_started_at=timezone.now() - timedelta(seconds=90)
    )
    body = client.get("/metrics").content.decode()
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("studienav_") and not line.startswith("studienav_http")
    }
    assert samples["studienav_database_up"] == 1
    assert samples["studienav_outbox_queued"] == 2
    assert samples["studienav_outbox_stuck"] == 1
    assert 90 <= samples['studienav_job_age_seconds{job="outbox-deliver"}'] < 3600
    assert samples['studienav_job_overdue{job="outbox-deliver"}'] == 0
    assert "eva@" not in body


def test_workers_add_up_their_counts_in_multiprocess_mode(tmp_path: Path) -> None:
    """Two processes (as two gunicorn workers) write to PROMETHEUS_MULTIPROC_DIR; a third
    serves the sum, and still answers while the database is down."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "METRICS_ENABLED": "1",
        "DATABASE_URL": "sqlite:////nonexistent-directory/studienav.sqlite3",
        "STUDIENAV_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "studienav.settings",
    }
    worker = (
        "import django; django.setup(); from django.test import Client; Client().get('/healthz')"
    )
    scrape = (
        "import django; django.setup(); from django.test import Client;"
        "print(Client().get('/metrics').content.decode())"
    )
    for script in (worker, worker, scrape):
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
    assert 'studienav_http_requests_total{route="healthz",status="5xx"} 2.0' in done.stdout
    assert "studienav_database_up 0.0" in done.stdout
