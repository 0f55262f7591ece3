"""Patient counts' scheduled jobs, run by `studienav cron` with core's."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from studienav.core.jobs import Job
from studienav.counts.federation import answers_retry_waiting


def _retry_waiting(last_success: datetime | None) -> str:
    return f"{answers_retry_waiting(only_due=True)} waiting regions answered"


JOBS = (
    Job(
        name="counts-retry",
        title=_("Ask count agents that were offline again"),
        interval=timedelta(minutes=5),
        run=_retry_waiting,
    ),
)
