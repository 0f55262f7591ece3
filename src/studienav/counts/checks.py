"""System check: exact counts (test mode) never run with production settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def check_counts_test_mode(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Test mode gives exact counts: with DEBUG off (production) it is an error."""
    if getattr(settings, "COUNTS_TEST_MODE", False) and not settings.DEBUG:
        return [
            Error(
                "COUNTS_TEST_MODE is on with production settings: exact patient counts "
                "would leave the regions.",
                hint="Unset COUNTS_TEST_MODE; it is for tests and development only.",
                id="studienav.counts.E001",
            )
        ]
    return []
