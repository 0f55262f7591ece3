"""`studienav notify-new-studies`: tell people who asked for it of newly published studies."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from studienav.participation.services import new_study_notices_send


class Command(BaseCommand):
    help = (
        "E-mail people about newly published studies that match them (run from cron; idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = new_study_notices_send()
        self.stdout.write(f"{sent} e-mails about new studies sent")
