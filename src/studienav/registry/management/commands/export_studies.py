"""`studienav export-studies [--format jsonl|csv] [--output FILE] [--published-only]`."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from studienav.registry.exports import export_studies


class Command(BaseCommand):
    help = "Export every study, one record a line (jsonl) or one row a study (csv)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", default="jsonl", choices=("jsonl", "csv"))
        parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")
        parser.add_argument("--published-only", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8", newline="") as out:
                    count = export_studies(
                        out=out,
                        format=options["format"],
                        published_only=options["published_only"],
                    )
            except OSError as error:
                self.stderr.write(
                    _("%(file)s: cannot write: %(error)s")
                    % {"file": options["output"], "error": error.strerror}
                )
                sys.exit(1)
            self.stderr.write(
                _("exported %(count)s studies to %(file)s")
                % {"count": count, "file": options["output"]}
            )
            return
        export_studies(
            out=self.stdout, format=options["format"], published_only=options["published_only"]
        )
