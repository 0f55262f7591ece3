"""`studienav import-studies FILE... [--format ...] [--publish] [--dry-run]`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from studienav.registry.importers import FORMATS, ImportReport, import_file
from studienav.registry.organisations import OrganisationMatcher


class Command(BaseCommand):
    help = (
        "Import studies from registry files; one line per rejected record (FILE#N: field: "
        "message) and per part of a kept record that could not be understood (FILE#N: field: "
        "message (kept for review), also noted on the study for a coordinator) on stderr, the "
        "counts on stdout; exit 1 when anything was rejected. Files are read within the "
        "IMPORT_MAX_* limits (nesting, record size, rows, XLSX unpacking)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--format", default="auto", choices=("auto", *FORMATS))
        parser.add_argument("--publish", action="store_true", help="publish the studies it creates")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        total = ImportReport()
        matcher = OrganisationMatcher()
        for name in options["files"]:
            report = import_file(
                path=Path(name),
                format=options["format"],
                publish=options["publish"],
                dry_run=options["dry_run"],
                matcher=matcher,
            )
            for line in report.lines:
                self.stderr.write(line)
            total.add(report)
        self.stdout.write(total.summary)
        if total.rejected:
            sys.exit(1)
