"""`studienav cron [--job NAME] [--force]`: run the scheduled jobs that are due (every minute)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from studienav.core.jobs import cron_run, job_names


class Command(BaseCommand):
    help = (
        "Run the scheduled jobs that are due, each at most once at a time; start it every minute "
        "from the system's crontab or a systemd timer. Prints only failures (-v 2: every run) "
        "and exits 1 if a job failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--job", action="append", choices=job_names(), default=[], help="only this job"
        )
        parser.add_argument("--force", action="store_true", help="run even if not yet due")

    def handle(self, *args: Any, **options: Any) -> None:
        # Quiet when all is well (cron mails what a job prints): failures always, the rest on -v.
        verbosity = options["verbosity"]
        outcomes = cron_run(only=options["job"], force=options["force"])
        for outcome in outcomes:
            if outcome.ok is False and verbosity > 0:
                self.stderr.write(str(outcome))
            elif (outcome.ok is True and verbosity > 1) or verbosity > 2:
                self.stdout.write(str(outcome))
        if any(outcome.ok is False for outcome in outcomes):
            sys.exit(1)
