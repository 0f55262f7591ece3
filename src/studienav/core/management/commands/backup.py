"""`studienav backup --output FILE`: a consistent copy of the database, taken while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studienav.core.backup import BackupFailed, database_backup


class Command(BaseCommand):
    help = (
        "Back up the database DATABASE_URL names to FILE: SQLite's online backup, or pg_dump's "
        "custom format for PostgreSQL. The file is readable by its owner only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, type=Path, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        try:
            size = database_backup(output=output)
        except BackupFailed as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"backup written to {output} ({size} bytes)")
