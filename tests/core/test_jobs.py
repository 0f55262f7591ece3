"""Scheduled jobs: `studienav cron` runs what is due, each job once at a time, records every
run; the administrator sees the schedule and /healthz says when a job is overdue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from studienav.core.jobs import (
    JOBS,
    Job,
    _job_take,
    cron_run,
    job_next_due,
    job_runs_prune,
    jobs_all,
    jobs_overdue,
)
from studienav.core.models import JobRun, Role, ScheduledJob, User
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


class Counting:
    """A job body that counts its runs and says so."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, last_success: datetime | None) -> str:
        self.runs += 1
        return f"run {self.runs}"


def _failing(last_success: datetime | None) -> str:
    raise RuntimeError("the registry did not answer")


@pytest.fixture
def frida(db: None) -> User:
    """Administrator of the installation."""
    user = UserFactory.create(email="frida@test.example", full_name="Frida Admin")
    RoleFactory.create(user=user, role=Role.ADMINISTRATOR)
    return user


def test_the_schedule_names_every_job_the_node_runs() -> None:
    assert [job.name for job in JOBS] == [
        "outbox-deliver",
        "send-reminders",
        "notify-new-studies",
        "purge-expired",
        "stats-refresh",
        "stats-refresh-full",
        "audit-anchor",
        "sync-ctgov",
    ]


def test_apps_add_their_own_jobs_after_cores() -> None:
    names = [job.name for job in jobs_all()]
    assert names[: len(JOBS)] == [job.name for job in JOBS]
    assert "import-uploads-expire" in names


def test_cron_runs_a_due_job_once_and_records_the_run() -> None:
    body = Counting()
    job = Job(name="count", title="Count", interval=timedelta(hours=1), run=body)
    first = cron_run(jobs=[job])
    again = cron_run(jobs=[job])
    assert [(o.ok, o.message) for o in first] == [(True, "run 1")]
    assert [(o.ok, o.message) for o in again] == [(None, "not due")]
    assert body.runs == 1
    run = JobRun.objects.get()
    assert run.ok is True
    assert run.message == "run 1"
    assert run.finished_at is not None


def test_a_failing_job_is_recorded_and_the_next_job_still_runs() -> None:
    body = Counting()
    jobs = [
        Job(name="fails", title="Fails", interval=MINUTE, run=_failing),
        Job(name="count", title="Count", interval=MINUTE, run=body),
    ]
    outcomes = cron_run(jobs=jobs)
    assert [o.ok for o in outcomes] == [False, True]
    failed = JobRun.objects.get(job__name="fails")
    assert failed.ok is False
    assert "the registry did not answer" in failed.message
    assert ScheduledJob.objects.get(name="fails").running_since is None


def test_a_job_another_cron_run_holds_is_not_started_twice() -> None:
    body = Counting()
    job = Job(name="count", title="Count", interval=MINUTE, run=body)
    ScheduledJob.objects.create(name="count", running_since=timezone.now(), running_token="x")
    assert [o.message for o in cron_run(jobs=[job])] == ["held by another run"]
    assert body.runs == 0


def test_a_run_that_read_the_schedule_before_another_started_the_job_does_not_run_it() -> None:
    job = Job(name="count", title="Count", interval=MINUTE, run=Counting())
    seen = ScheduledJob.objects.create(name="count")
    assert _job_take(job, seen, now=timezone.now()) is not None  # the other cron run
    ScheduledJob.objects.filter(pk=seen.pk).update(running_since=None, running_token="")
    assert _job_take(job, seen, now=timezone.now()) is None


def test_a_run_abandoned_past_its_timeout_is_taken_over(time_machine: Any) -> None:
    time_machine.move_to("2026-03-02 10:00+01:00", tick=False)
    body = Counting()
    job = Job(name="count", title="Count", interval=MINUTE, run=body, timeout=timedelta(hours=1))
    two_hours_ago = timezone.now() - timedelta(hours=2)
    state = ScheduledJob.objects.create(
        name="count",
        last_started_at=two_hours_ago,
        running_since=two_hours_ago,
        running_token="dead",
    )
    JobRun.objects.create(job=state, started_at=two_hours_ago)
    cron_run(jobs=[job])
    assert body.runs == 1
    abandoned, latest = JobRun.objects.order_by("started_at")
    assert abandoned.ok is False
    assert abandoned.message.startswith("abandoned")
    assert latest.ok is True


def test_a_daily_job_is_next_due_when_the_clock_passes_its_hour() -> None:
    job = Job(name="nightly", title="Nightly", interval=timedelta(days=1), run=Counting(), hour=4)
    stockholm = timezone.get_default_timezone()
    first_seen = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert job_next_due(job, last_started=None, first_seen=first_seen) == first_seen
    early = datetime(2026, 3, 28, 0, 30, tzinfo=stockholm)
    assert job_next_due(job, last_started=early, first_seen=first_seen) == datetime(
        2026, 3, 28, 4, 0, tzinfo=stockholm
    )
    # Across the change to summer time the job stays at four o'clock local time.
    ran = datetime(2026, 3, 28, 4, 0, 30, tzinfo=stockholm)
    due = job_next_due(job, last_started=ran, first_seen=first_seen)
    assert due == datetime(2026, 3, 29, 4, 0, tzinfo=stockholm)
    assert due.astimezone(UTC) - ran.astimezone(UTC) == timedelta(hours=23, seconds=-30)


def test_the_nightly_ctgov_sync_runs_only_when_configured() -> None:
    assert [str(o) for o in cron_run(only=["sync-ctgov"])] == ["sync-ctgov: skipped: disabled"]
    assert not JobRun.objects.exists()


def test_cron_runs_every_real_job_and_health_stays_ready(client: Client, tmp_path: Path) -> None:
    out, quiet = StringIO(), StringIO()
    with override_settings(AUDIT_ANCHOR_DIR=tmp_path):
        call_command("cron", stdout=out, verbosity=2)
        call_command("cron", "--force", stdout=quiet, stderr=quiet)
    assert quiet.getvalue() == ""  # nothing for cron to mail when all went well
    lines = out.getvalue().splitlines()
    ran = [line.split(":")[0] for line in lines]
    assert ran == [job.name for job in jobs_all() if job.enabled()]
    assert ran[:7] == [
        "outbox-deliver",
        "send-reminders",
        "notify-new-studies",
        "purge-expired",
        "stats-refresh",
        "stats-refresh-full",
        "audit-anchor",
    ]
    assert all(": ok: " in line for line in lines), lines
    assert list(tmp_path.iterdir())  # the anchor file
    assert client.get("/healthz").status_code == 200


def test_health_answers_503_naming_a_job_two_intervals_late(client: Client) -> None:
    ScheduledJob.objects.create(
        name="outbox-deliver", last_started_at=timezone.now() - timedelta(minutes=4)
    )
    ScheduledJob.objects.create(
        name="stats-refresh", last_started_at=timezone.now() - timedelta(hours=1)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "jobs": "overdue",
        "overdue": ["outbox-deliver"],
    }


def test_a_job_not_yet_two_intervals_late_is_not_overdue() -> None:
    ScheduledJob.objects.create(
        name="outbox-deliver", last_started_at=timezone.now() - timedelta(seconds=150)
    )
    assert jobs_overdue() == []


def test_old_runs_are_pruned_but_the_last_start_stays() -> None:
    state = ScheduledJob.objects.create(name="count", last_started_at=timezone.now())
    JobRun.objects.create(job=state, started_at=timezone.now() - timedelta(days=31), ok=True)
    recent = JobRun.objects.create(job=state, started_at=timezone.now(), ok=True)
    with override_settings(JOB_RUN_RETENTION_DAYS=30):
        assert job_runs_prune() == 1
    assert list(JobRun.objects.all()) == [recent]


def test_the_administrator_sees_each_job_with_its_last_run_outcome_and_next_due(
    client: Client, frida: User, signed_in: Callable[[Client, User], Client]
) -> None:
    three_hours_ago = timezone.now() - timedelta(hours=3)
    state = ScheduledJob.objects.create(name="stats-refresh", last_started_at=three_hours_ago)
    JobRun.objects.create(
        job=state,
        started_at=three_hours_ago,
        finished_at=timezone.now(),
        ok=False,
        message="OperationalError: disk full",
    )
    signed_in(client, frida)
    response = client.get(reverse("core:jobs"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "stats-refresh" in page
    assert "OperationalError: disk full" in page
    assert "sync-ctgov" in page


@pytest.mark.parametrize("person", ["anna", "bertil", "david"])
def test_other_staff_cannot_see_the_jobs(
    client: Client,
    person: str,
    signed_in: Callable[[Client, User], Client],
    request: pytest.FixtureRequest,
) -> None:
    signed_in(client, request.getfixturevalue(person))
    assert client.get(reverse("core:jobs")).status_code == 403


def test_the_dashboard_points_node_office_to_the_outbox_and_the_jobs(
    client: Client, cecilia: User, signed_in: Callable[[Client, User], Client]
) -> None:
    signed_in(client, cecilia)
    page = client.get(reverse("core:dashboard")).content.decode()
    assert reverse("core:outbox") in page
    assert reverse("core:jobs") in page
