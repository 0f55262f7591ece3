"""`studienav counts-query --region CODE FILE.json [--exact] [--engine E]`: answer a definition."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from studienav.core.errors import DomainError
from studienav.core.models import Region
from studienav.counts.circe import definition_load
from studienav.counts.definition import MAX_TEXT_BYTES
from studienav.counts.engines import ENGINES, count


class Command(BaseCommand):
    help = (
        "Answer one cohort definition (our JSON or an ATLAS/Circe cohort definition) from the "
        "region's store. The attrition comes first; the last line is the answer alone: a number, "
        "or '<11' where the region's rule hides it. --exact gives exact counts and works only "
        "in test mode (COUNTS_TEST_MODE=1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--region", required=True, metavar="CODE", help="the region's code, e.g. 03"
        )
        parser.add_argument("file", metavar="FILE.json", help="the cohort definition")
        parser.add_argument("--exact", action="store_true", help="exact counts (test mode only)")
        parser.add_argument(
            "--engine", choices=ENGINES, default="duckdb", help="the engine that counts"
        )

    def _fail(self, message: str, code: int = 1) -> NoReturn:
        self.stderr.write(message)
        sys.exit(code)

    def handle(self, *args: Any, **options: Any) -> None:
        exact: bool = options["exact"]
        if exact and not settings.COUNTS_TEST_MODE:
            self._fail(
                "--exact: exact counts are given only in test mode (COUNTS_TEST_MODE=1); refused.",
                2,
            )
        path = Path(options["file"])
        try:
            if path.stat().st_size > MAX_TEXT_BYTES:
                self._fail(f"{path}: larger than {MAX_TEXT_BYTES // 1024} kB")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self._fail(f"{path}: {error}")
        try:
            loaded = definition_load(text)
        except DomainError as error:
            self._fail(f"{path}: {error.field or 'definition'}: {error.message}")
        for note in loaded.notes:
            self.stderr.write(f"{path}: {note}")
        region = Region.objects.filter(code=options["region"]).first()
        engine: str = options["engine"]
        if importlib.util.find_spec("studienav.counts.protection") is None or region is None:
            if not exact:
                if region is None:
                    self._fail(f"--region: no region with code {options['region']!r}")
                self._fail("Protected counts are not available in this installation.")
            try:
                result = count(
                    region=options["region"], definition=loaded.definition, engine=engine
                )
            except DomainError as error:
                self._fail(f"{error.field or 'region'}: {error.message}")
            for name, value in result.attrition:
                self.stdout.write(f"{name}: {value}")
            self.stdout.write(str(result.total))
            return
        from studienav.counts.protection import protected_count

        try:
            answer = protected_count(
                region=region,
                definition=loaded.definition,
                exact=exact,
                requester="command line",
                channel="command",
                count_fn=functools.partial(count, engine=engine),
            )
        except DomainError as error:
            self._fail(f"{error.field or 'definition'}: {error.message}", 2)
        if not answer.is_answered:
            self._fail(f"{answer.rule}: {answer.message}")
        for name, shown in answer.attrition:
            self.stdout.write(f"{name}: {shown}")
        self.stdout.write(str(answer.total))
