"""`studienav demo-data`: people, organisations and each capability's demo records."""

from __future__ import annotations

import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from studienav.core.appmodules import studienav_app_modules


class Command(BaseCommand):
    help = "Load demo data for every region (development only; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2025, help="random seed")
        parser.add_argument(
            "--studies", type=int, default=None, help="number of synthetic studies to generate"
        )
        parser.add_argument("--quiet", action="store_true", help="do not print the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo-data is for development: it refuses to run when DEBUG is off.")
        rng = random.Random(options["seed"])  # noqa: S311  (reproducible demo data, not secrets)
        # Each app may offer demo.py with demo_data_load(); core comes first, others follow.
        for module in studienav_app_modules("demo"):
            with transaction.atomic():
                module.demo_data_load(rng=rng, options=options, stdout=self.stdout)
