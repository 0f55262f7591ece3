"""`studienav activity-report --year Y --output FILE.pdf|FILE.xlsx`: the node's activity report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from studienav.network.report import activity_report, activity_report_pdf, activity_report_xlsx


class Command(BaseCommand):
    help = "Write the node's activity report for a year as PDF or XLSX (by the file's suffix)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="Calendar year, e.g. 2025.")
        parser.add_argument("--output", required=True, help="File to write: .pdf or .xlsx.")
        parser.add_argument(
            "--language", choices=["sv", "en"], default="sv", help="Language of the report."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year = int(options["year"])
        if not 2000 <= year <= timezone.localdate().year:
            raise CommandError(f"--year: {year} is not a year with activity to report")
        output = Path(options["output"])
        suffix = output.suffix.lower()
        if suffix not in (".pdf", ".xlsx"):
            raise CommandError(f"--output: {output}: the file name must end in .pdf or .xlsx")
        report = activity_report(year=year, language=options["language"])
        content = activity_report_pdf(report) if suffix == ".pdf" else activity_report_xlsx(report)
        try:
            output.write_bytes(content)
        except OSError as error:
            raise CommandError(f"--output: {output}: {error.strerror}") from error
        self.stdout.write(f"{output}: activity report {year}, {len(content)} bytes")
