"""`studienav omop-synth --persons N --output DIR [--seed S]`: synthetic OMOP data as Parquet."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from studienav.counts.synth import omop_synth


class Command(BaseCommand):
    help = (
        "Write a synthetic region of N persons as OMOP CDM Parquet files (Swedish age and sex "
        "structure, chronic conditions, their drugs, measurements, visits). The same seed gives "
        "the same data. Load it with counts-load."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, required=True, metavar="N")
        parser.add_argument("--output", required=True, metavar="DIR")
        parser.add_argument("--seed", type=int, default=1, metavar="S")
        parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: all cores)")
        parser.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit, e.g. 4GB")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = omop_synth(
                persons=options["persons"],
                output=Path(options["output"]),
                seed=options["seed"],
                threads=options["threads"],
                memory_limit=options["memory_limit"],
            )
        except ValueError as error:
            self.stderr.write(f"--persons: {error}")
            sys.exit(1)
        for table, rows in result.rows.items():
            self.stdout.write(f"{table}: {rows}")
        self.stdout.write(
            f"{result.persons} persons written to {options['output']} in {result.seconds:.1f} s"
        )
