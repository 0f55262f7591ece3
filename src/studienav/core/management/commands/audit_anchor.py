"""`studienav audit-anchor`: write the signed heads of the audit chains to a file (daily)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from studienav.core.audit_anchors import anchor_write, trail_check


class Command(BaseCommand):
    help = (
        "Verify the audit trail and the access log, then write their heads, signed with the "
        "audit key, to a new file outside the database; run it daily and copy the files off "
        "the machine. Exits 1, writing nothing, if a chain is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", metavar="DIR", help="where anchor files go (default AUDIT_ANCHOR_DIR)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["output"] or settings.AUDIT_ANCHOR_DIR)
        check = trail_check(directory=directory)
        if not check.is_intact:
            for problem in check.problems:
                self.stderr.write(str(problem))
            self.stderr.write("nothing anchored: the audit chains are broken")
            sys.exit(1)
        path = anchor_write(directory=directory, reports=check.reports)
        audit, access = check.report("audit").head, check.report("access").head
        self.stdout.write(
            f"{path}: event {audit.last_id} ({audit.count} events), "
            f"access log entry {access.last_id} ({access.count} entries)"
        )
