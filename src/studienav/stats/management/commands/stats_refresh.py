"""`studienav stats-refresh`: rebuild the statistics' fact tables (what changed, or --full)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from studienav.stats.refresh import facts_refresh


class Command(BaseCommand):
    help = "Rebuild the statistics fact tables: studies changed since the last run, or all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="rebuild every fact")

    def handle(self, *args: Any, **options: Any) -> None:
        result = facts_refresh(full=options["full"])  # with this year's key figures
        self.stdout.write(
            f"{result.studies} studies: {result.study_facts} study facts, "
            f"{result.enrolment_facts} enrolment facts"
        )
