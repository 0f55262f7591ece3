"""`studienav stats-import FILE...`: load nodes' signed figures; refuse bad or altered files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studienav.stats.national import InvalidStatsFile, stats_import


class Command(BaseCommand):
    help = "Import nodes' statistics files (studienav.stats/1); a newer file replaces an older one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        for name in options["files"]:
            try:
                outcome = stats_import(raw=Path(name).read_bytes())
            except OSError as error:
                self.stderr.write(f"{name}: {error.strerror}")
                failed += 1
                continue
            except InvalidStatsFile as error:
                self.stderr.write(f"{name}: {error.field or 'file'}: {error.message}")
                failed += 1
                continue
            if outcome.skipped:
                self.stdout.write(
                    f"{name}: skipped, a file as new or newer for {outcome.node} {outcome.year} "
                    "is already imported"
                )
            else:
                verb = "replaced" if outcome.replaced else "imported"
                self.stdout.write(f"{name}: {verb} {outcome.node} {outcome.year}")
        if failed:
            raise CommandError(f"{failed} file(s) refused")
