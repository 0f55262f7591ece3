"""Run every benchmark module's `run()` and write one JSON file per benchmark to var/bench/."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import time
from pathlib import Path
from typing import Any

import benchmarks
from benchmarks.bench_search import SIDE_BY_SIDE, databases_compare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the issue's sizes")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studienav.settings")
    # Generating demo studies needs development settings; bench_load starts its server with
    # production settings of its own.
    os.environ.setdefault("DEBUG", "1")
    out_dir = Path("var/bench")
    out_dir.mkdir(parents=True, exist_ok=True)
    names = args.names or [
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    ]
    if not names:
        print("no benchmarks yet")
    # A PostgreSQL database to run the search and load benchmarks on as well (beside SQLite).
    postgres_url = os.environ.get("BENCH_POSTGRES_URL", "")
    for name in names:
        started = time.time()
        result: dict[str, Any]
        if postgres_url and name in SIDE_BY_SIDE:
            result = databases_compare(name, args.scale, postgres_url)
        else:
            result = importlib.import_module(f"benchmarks.{name}").run(scale=args.scale)
        result.update(
            benchmark=name,
            started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            machine={"python": platform.python_version(), "cpus": os.cpu_count()},
        )
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
