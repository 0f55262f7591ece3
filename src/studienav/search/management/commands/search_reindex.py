"""`studienav search-reindex`: rebuild the search index of published studies."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from studienav.search.index import search_reindex


class Command(BaseCommand):
    help = "Rebuild the search index of published studies."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        count = search_reindex()
        self.stdout.write(f"Indexed {count} studies in {time.monotonic() - started:.1f} s.")
