"""`studienav audit-verify`: walk the audit chains, hold them to their anchors, list breaks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from studienav.core.audit_anchors import trail_check


class Command(BaseCommand):
    help = (
        "Verify the audit trail and the access log with the audit keys and against every "
        "anchor file; exit 1 with one line per altered, inserted or removed row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchors", metavar="DIR", help="anchor files to check (default AUDIT_ANCHOR_DIR)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["anchors"] or settings.AUDIT_ANCHOR_DIR)
        check = trail_check(directory=directory)
        if not check.is_intact:
            for problem in check.problems:
                self.stderr.write(str(problem))
            sys.exit(1)
        audit, access = check.report("audit"), check.report("access")
        self.stdout.write(f"audit trail intact: {audit.checked} events checked")
        self.stdout.write(f"access log intact: {access.checked} entries checked")
        if check.anchor_files:
            self.stdout.write(f"{check.anchor_files} anchor file(s) in {directory} match")
        else:
            self.stdout.write(
                f"no anchor files in {directory}: rows cut off the end would go unnoticed; "
                "run `studienav audit-anchor` daily"
            )
