"""`studienav annual-report --year 2025 [--language sv|en] --output FILE.pdf`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studienav.stats.definitions import FIRST_YEAR
from studienav.stats.report import annual_report_pdf


class Command(BaseCommand):
    help = "Write the node's annual report for a year as a PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--language", choices=["sv", "en"], default="sv")
        parser.add_argument("--output", required=True, help="the PDF file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"]
        if not FIRST_YEAR <= year <= 2100:
            raise CommandError(f"--year: choose a year from {FIRST_YEAR}, got {year}")
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"--output: the folder {output.parent} does not exist")
        output.write_bytes(annual_report_pdf(year=year, language=options["language"]))
        self.stdout.write(f"{output}: annual report {year} ({options['language']})")
