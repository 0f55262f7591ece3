"""`studienav restore FILE [--force]`: restore a backup into the database DATABASE_URL names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studienav.core.backup import BackupFailed, database_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `studienav backup` into the database DATABASE_URL names. "
        "It must be empty (no table with rows) unless --force replaces what it holds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument("--force", action="store_true", help="replace what the database holds")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["file"])
        try:
            database_restore(source=source, force=options["force"])
        except BackupFailed as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"{source} restored; run `studienav migrate` if the backup is from an older version, "
            "then `studienav audit-verify`"
        )
