"""`studienav stats-refresh`: rebuild the statistics' fact tables (what changed, or --full)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from studienav.stats.keyfigures import key_figures, node_region_list
from studienav.stats.refresh import facts_refresh


class Command(BaseCommand):
    help = "Rebuild the statistics fact tables: studies changed since the last run, or all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="rebuild every fact")

    def handle(self, *args: Any, **options: Any) -> None:
        result = facts_refresh(full=options["full"])
        # The key figures of this year, computed once into the cache (with CACHE_URL shared,
        # the dashboard of every worker then reads them at once).
        today = timezone.localdate()
        key_figures(year=today.year, today=today, regions=node_region_list())
        self.stdout.write(
            f"{result.studies} studies: {result.study_facts} study facts, "
            f"{result.enrolment_facts} enrolment facts"
        )
