"""`studienav purge-expired`: warn, then delete, registrations of interest without activity."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from studienav.participation.services import interests_purge_expired, retention_months


class Command(BaseCommand):
    help = "Warn and delete registrations of interest past the retention period (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = interests_purge_expired()
        self.stdout.write(
            f"retention {retention_months()} months: warned {report.warned}, "
            f"deleted {report.deleted}, unconfirmed deleted {report.unconfirmed_deleted}"
        )
