"""`studienav send-reminders`: every app's due reminders (run daily from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from studienav.core.appmodules import studienav_app_modules


class Command(BaseCommand):
    help = "Send every reminder that is due, of every app; idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = [
            f"{module.__name__.split('.')[1]} {module.reminders_send()}"
            for module in studienav_app_modules("reminders")
        ]
        self.stdout.write(f"reminders sent: {', '.join(sent)}")
