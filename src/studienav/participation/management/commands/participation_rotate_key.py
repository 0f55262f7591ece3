"""`studienav participation-rotate-key`: re-encrypt every personal field with the first key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from studienav.participation.services import keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt the participation data with the first key of PARTICIPATION_KEYS. Put the new "
        "key first, keep the old ones after it, run this, then remove the old keys."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = keys_rotate()
        self.stdout.write(f"re-encrypted {rows} rows")
