"""`studienav sync-ctgov [--since DATE] [--publish]`: studies with sites in Sweden."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from studienav.registry.importers.ctgov_sync import sync_ctgov


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("%(value)s: give a date as YYYY-MM-DD") % {"value": value}
        ) from None


class Command(BaseCommand):
    help = (
        "Fetch studies with sites in Sweden from ClinicalTrials.gov (API v2, setting "
        "CTGOV_API_URL) and apply them like an import."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=_date, help="only studies updated since (YYYY-MM-DD)")
        parser.add_argument("--publish", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        report = sync_ctgov(since=options["since"], publish=options["publish"])
        for line in report.lines:
            self.stderr.write(line)
        self.stdout.write(report.summary)
        if report.rejected:
            sys.exit(1)
