"""After the registry's demo studies: bring the statistics' fact tables up to date."""

from __future__ import annotations

import random
from typing import Any, TextIO

from studienav.stats.refresh import facts_refresh


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    """The statistics read fact tables; without this a fresh demo site shows empty charts."""
    if options.get("studies"):
        return  # the scale generator: its benchmarks time `stats-refresh` on their own
    facts_refresh(full=True)
