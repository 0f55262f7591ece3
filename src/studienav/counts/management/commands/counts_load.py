"""`studienav counts-load --region CODE DIR`: load OMOP CSV or Parquet files into a store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from studienav.core.errors import DomainError
from studienav.counts.loading import counts_load


class Command(BaseCommand):
    help = (
        "Check and load a folder of OMOP CDM files (CSV with upper- or lower-case headers, or "
        "Parquet) into the region's store under COUNTS_DATA_DIR. A bad file is named with its "
        "line and column on stderr and nothing changes; otherwise the new store replaces the "
        "old one at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--region", required=True, metavar="CODE", help="the region's code, e.g. 03"
        )
        parser.add_argument("folder", metavar="DIR", help="folder of OMOP files, one per table")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = counts_load(region=options["region"], source_dir=Path(options["folder"]))
        except DomainError as error:
            self.stderr.write(error.message)
            sys.exit(1)
        for table, rows in result.rows.items():
            note = " (absent: empty)" if table in result.absent else ""
            self.stdout.write(f"{table}: {rows}{note}")
        self.stdout.write(f"region {result.region} loaded in {result.seconds:.1f} s")
