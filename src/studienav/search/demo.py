"""After the demo studies are loaded (the registry's generator writes rows in bulk), index them."""

from __future__ import annotations

import random
import time
from typing import Any, TextIO

from studienav.search.index import search_reindex


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    started = time.monotonic()
    count = search_reindex()
    if not options.get("quiet"):
        stdout.write(f"Indexed {count} studies for search in {time.monotonic() - started:.1f} s.\n")
