"""The schedule of background jobs, and `cron_run`, which runs the due ones, each at most once.

`studienav cron` is started every minute by the system (crontab or a systemd timer). Each job
is held by a marker on its ScheduledJob row while it runs, so that two cron runs never run the
same job at once; a marker older than the job's timeout counts as abandoned.
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from studienav.core.appmodules import studienav_app_modules
from studienav.core.models import JobRun, ScheduledJob
from studienav.core.outbox import outbox_deliver

logger = logging.getLogger(__name__)

MESSAGE_LENGTH = 4000
# A job is overdue once it is this many intervals later than its due time.
OVERDUE_INTERVALS = 2


class JobFailed(Exception):
    """A job's command ended with a non-zero exit status."""


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Job:
    """One scheduled job: what it runs, how often, and (daily jobs) from which local hour."""

    name: str
    title: str | Promise
    interval: timedelta
    # Called with the start of the job's last successful run (None: never); says what it did.
    run: Callable[[datetime | None], str]
    hour: int | None = None
    timeout: timedelta = timedelta(hours=1)
    enabled: Callable[[], bool] = field(default=_always)


def command_output(name: str, *arguments: str) -> str:
    """Run a management command in this process; what it printed, or JobFailed."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *arguments, stdout=out, stderr=err)
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise JobFailed(f"exit {exit_.code}: {err.getvalue()}{out.getvalue()}") from exit_
    return f"{out.getvalue()}{err.getvalue()}".strip()


def _command(name: str, *arguments: str) -> Callable[[datetime | None], str]:
    def run(last_success: datetime | None) -> str:
        return command_output(name, *arguments)

    return run


def _outbox_deliver(last_success: datetime | None) -> str:
    return str(outbox_deliver())


def _sync_ctgov(last_success: datetime | None) -> str:
    # What changed since the day before the last successful sync (the whole set the first time).
    if last_success is None:
        return command_output("sync_ctgov")
    since = timezone.localdate(last_success) - timedelta(days=1)
    return command_output("sync_ctgov", "--since", since.isoformat())


def _ctgov_sync_wanted() -> bool:
    return bool(settings.CTGOV_SYNC_NIGHTLY)


DAY = timedelta(days=1)
JOBS: tuple[Job, ...] = (
    Job(
        name="outbox-deliver",
        title=_("Send the e-mail in the outbox"),
        interval=timedelta(minutes=1),
        run=_outbox_deliver,
        timeout=timedelta(minutes=15),
    ),
    Job(
        name="send-reminders",
        title=_("Send the reminders that are due"),
        interval=DAY,
        run=_command("send_reminders"),
        hour=7,
    ),
    Job(
        name="notify-new-studies",
        title=_("Tell people who asked about new studies"),
        interval=timedelta(minutes=15),
        run=_command("notify_new_studies"),
    ),
    Job(
        name="purge-expired",
        title=_("Delete registrations of interest past retention"),
        interval=DAY,
        run=_command("purge_expired"),
        hour=3,
    ),
    Job(
        name="stats-refresh",
        title=_("Bring the statistics up to date"),
        interval=timedelta(hours=1),
        run=_command("stats_refresh"),
        timeout=timedelta(hours=2),
    ),
    Job(
        name="stats-refresh-full",
        title=_("Rebuild the statistics"),
        interval=DAY,
        run=_command("stats_refresh", "--full"),
        hour=2,
        timeout=timedelta(hours=6),
    ),
    Job(
        name="audit-anchor",
        title=_("Anchor the audit trail outside the database"),
        interval=DAY,
        run=_command("audit_anchor"),
        hour=4,
    ),
    Job(
        name="sync-ctgov",
        title=_("Fetch studies from ClinicalTrials.gov"),
        interval=DAY,
        run=_sync_ctgov,
        hour=1,
        timeout=timedelta(hours=6),
        enabled=_ctgov_sync_wanted,
    ),
)


def job_next_due(job: Job, *, last_started: datetime | None, first_seen: datetime) -> datetime:
    """When the job is next due: at once if it never ran, else an interval after its last
    start, or for a daily job the next time the clock passes its hour (local time)."""
    if last_started is None:
        return first_seen
    if job.hour is None:
        return last_started + job.interval
    local = timezone.localtime(last_started)
    day = local.date() if local.hour < job.hour else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(job.hour)))


def _is_overdue(job: Job, state: ScheduledJob, now: datetime) -> bool:
    due = job_next_due(job, last_started=state.last_started_at, first_seen=state.created_at)
    return now > due + OVERDUE_INTERVALS * job.interval


def jobs_all() -> tuple[Job, ...]:
    """Core's jobs, then those each app offers in its `jobs.py` (a `JOBS` tuple)."""
    offered = [job for module in studienav_app_modules("jobs") for job in module.JOBS]
    return JOBS + tuple(job for job in offered if job not in JOBS)


def jobs_overdue(*, jobs: Sequence[Job] | None = None, now: datetime | None = None) -> list[str]:
    """Names of enabled jobs more than two intervals late. A job counts from when `cron` first
    saw it: before the first cron run nothing is overdue."""
    jobs = jobs_all() if jobs is None else jobs
    now = now or timezone.now()
    states = {s.name: s for s in ScheduledJob.objects.filter(name__in=[j.name for j in jobs])}
    return [
        job.name
        for job in jobs
        if job.name in states and job.enabled() and _is_overdue(job, states[job.name], now)
    ]


@dataclass(frozen=True)
class JobStatus:
    """A job as the administrator's page shows it."""

    job: Job
    is_enabled: bool
    last_started_at: datetime | None
    last_run: JobRun | None
    next_due: datetime | None
    is_running: bool
    is_overdue: bool

    @property
    def name(self) -> str:
        return self.job.name


def jobs_status(
    *, jobs: Sequence[Job] | None = None, now: datetime | None = None
) -> list[JobStatus]:
    """Every job with its last run, its outcome and when it is next due."""
    jobs = jobs_all() if jobs is None else jobs
    now = now or timezone.now()
    states = {s.name: s for s in ScheduledJob.objects.filter(name__in=[j.name for j in jobs])}
    statuses = []
    for job in jobs:
        state = states.get(job.name)
        enabled = job.enabled()
        if state is None:
            statuses.append(JobStatus(job, enabled, None, None, None, False, False))
            continue
        last_run = JobRun.objects.filter(job=state).order_by("-started_at", "-id").first()
        next_due = job_next_due(
            job, last_started=state.last_started_at, first_seen=state.created_at
        )
        running = state.running_since is not None and state.running_since > now - job.timeout
        overdue = enabled and _is_overdue(job, state, now)
        statuses.append(
            JobStatus(job, enabled, state.last_started_at, last_run, next_due, running, overdue)
        )
    return statuses


@dataclass(frozen=True)
class JobOutcome:
    name: str
    ok: bool | None  # None: not run (not due, disabled or held by another run)
    message: str

    def __str__(self) -> str:
        status = {True: "ok", False: "error", None: "skipped"}[self.ok]
        return f"{self.name}: {status}: {self.message}"


def _last_success(state: ScheduledJob) -> datetime | None:
    runs = JobRun.objects.filter(job=state, ok=True).order_by("-started_at")
    return runs.values_list("started_at", flat=True).first()


def _job_take(job: Job, state: ScheduledJob, *, now: datetime) -> str | None:
    """Hold the job for one run; the run's token, or None if another run holds it or has
    started it since `state` was read."""
    token = secrets.token_hex(16)
    free = Q(running_since__isnull=True) | Q(running_since__lt=now - job.timeout)
    taken = (
        ScheduledJob.objects.filter(pk=state.pk, last_started_at=state.last_started_at)
        .filter(free)
        .update(running_since=now, running_token=token, last_started_at=now)
    )
    return token if taken else None


def job_run(job: Job, *, force: bool = False) -> JobOutcome:
    """Run one job if it is enabled and due (or `force`), and no other run holds it."""
    now = timezone.now()
    if not job.enabled():
        return JobOutcome(job.name, None, "disabled")
    state, _created = ScheduledJob.objects.get_or_create(
        name=job.name, defaults={"created_at": now}
    )
    due = job_next_due(job, last_started=state.last_started_at, first_seen=state.created_at)
    if not force and now < due:
        return JobOutcome(job.name, None, "not due")
    token = _job_take(job, state, now=now)
    if token is None:
        return JobOutcome(job.name, None, "held by another run")
    # A run that held the job past its timeout died without saying how it ended.
    JobRun.objects.filter(job=state, finished_at__isnull=True).update(
        finished_at=now, ok=False, message="abandoned: no outcome was recorded"
    )
    last_success = _last_success(state)
    run = JobRun.objects.create(job=state, started_at=now)
    try:
        message, ok = job.run(last_success), True
    except Exception as error:  # each job on its own: one failure never stops the others
        logger.exception("job %s failed", job.name)
        message, ok = f"{type(error).__name__}: {error}", False
    finally:
        ScheduledJob.objects.filter(pk=state.pk, running_token=token).update(
            running_since=None, running_token=""
        )
    JobRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), ok=ok, message=message[:MESSAGE_LENGTH]
    )
    return JobOutcome(job.name, ok, message)


def job_runs_prune(*, now: datetime | None = None) -> int:
    """Delete runs older than JOB_RUN_RETENTION_DAYS (a job's last start stays on its row)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.JOB_RUN_RETENTION_DAYS)
    deleted, _counts = JobRun.objects.filter(started_at__lt=cutoff).delete()
    return deleted


def cron_run(
    *, jobs: Sequence[Job] | None = None, only: Collection[str] = (), force: bool = False
) -> list[JobOutcome]:
    """Run every due job in order (or only the named ones), each in its own try/except."""
    jobs = jobs_all() if jobs is None else jobs
    outcomes = [job_run(job, force=force) for job in jobs if not only or job.name in only]
    job_runs_prune()
    return outcomes


def job_names(jobs: Sequence[Job] | None = None) -> list[str]:
    return [job.name for job in (jobs_all() if jobs is None else jobs)]
