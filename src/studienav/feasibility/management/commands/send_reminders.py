"""`studienav send-reminders`: remind recipients who have not answered (run daily from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from studienav.feasibility.services import reminders_send


class Command(BaseCommand):
    help = "Remind recipients of study requests who have not answered; idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send()
        self.stdout.write(f"{sent} reminders sent")
