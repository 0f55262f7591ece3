"""`studienav stats-export --year Y --output FILE.json`: the node's signed figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studienav.stats.definitions import FIRST_YEAR
from studienav.stats.national import stats_export


class Command(BaseCommand):
    help = "Export the node's aggregate figures and counted study identifiers, signed (Ed25519)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"]
        if not FIRST_YEAR <= year <= 2100:
            raise CommandError(f"--year: choose a year from {FIRST_YEAR}, got {year}")
        payload = stats_export(year=year)
        Path(options["output"]).write_text(json.dumps(payload, ensure_ascii=False, indent=1))
        self.stdout.write(f"{options['output']}: {len(payload['studies'])} studies, year {year}")
