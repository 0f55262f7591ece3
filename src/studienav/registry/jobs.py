"""The registry's scheduled jobs, run by `studienav cron` with core's."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from studienav.core.jobs import Job
from studienav.registry.import_uploads import uploads_expire


def _uploads_expire(last_success: datetime | None) -> str:
    return f"{uploads_expire()} import files deleted"


JOBS = (
    Job(
        name="import-uploads-expire",
        title=_("Delete import files nobody confirmed within an hour"),
        interval=timedelta(hours=1),
        run=_uploads_expire,
    ),
)
