"""`studienav audit-verify`: walk the audit trail's hash chain and report the first break."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from studienav.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail; exit 1 naming the first altered, inserted or removed event."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if report.is_intact:
            self.stdout.write(f"audit trail intact: {report.checked} events checked")
            return
        self.stderr.write(
            f"audit trail broken at event {report.first_bad_id}: {report.problem} "
            f"({report.checked} events before it are intact)"
        )
        sys.exit(1)
