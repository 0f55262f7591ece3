"""Import speed and memory of ClinicalTrials.gov API v2 records (`import-studies`).

Generates N realistic records from the real fixtures (their texts, outcomes, eligibility and
interventions; new NCT numbers; one to six Swedish sites each, `Research Site` among them,
plus a few sites abroad), written as one API page file (`{"studies": [...]}`), and imports
them with `import_file(..., publish=True)` into a fresh SQLite database.

The database: a template SQLite file is migrated and given the demo organisations once, and
kept in the temporary directory under a name that hashes the migrations (so a later run
reuses it, and a new migration makes a new one); every input size imports into its own copy
of it. Each input size runs in a child process of its own, so its peak RSS
(`resource.getrusage`) is its own.
Sizes: 2,000 x scale records, and twice that to show that memory stays flat as input grows
(`--scale 0.2`: 400 and 800 records, well under a minute).
The issue's target is 1,000 records a second on SQLite.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "registry" / "data" / "ctgov-v2"
PARTIAL = {"NCT00465816.json", "NCT03453554.json", "NCT02278341.json"}

SWEDISH_SITES = [
    ("Uppsala University Hospital", "Uppsala"),
    ("Örebro University Hospital", "Örebro"),
    ("Karolinska University Hospital", "Stockholm"),
    ("Sahlgrenska University Hospital", "Göteborg"),
    ("Skåne University Hospital", "Lund"),
    ("Linköping University Hospital", "Linköping"),
    ("Norrlands universitetssjukhus", "Umeå"),
    ("Research Site", "Gävle"),
    ("Research Site", "Falun"),
    ("Research Site", "Västerås"),
    ("Research Site", "Karlstad"),
    ("Research Site", "Eskilstuna"),
    ("Centralsjukhuset Karlstad", "Karlstad"),
    ("Mälarsjukhuset", "Eskilstuna"),
]
STATUSES = ["RECRUITING", "NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED", None]


def _templates() -> list[dict[str, Any]]:
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(FIXTURES.iterdir())
        if path.name not in PARTIAL
    ]


def generate(path: Path, count: int, *, seed: int = 1) -> int:
    """Write `count` records as one API page; returns the file's size in bytes."""
    rng = random.Random(seed)
    templates = _templates()
    with path.open("w", encoding="utf-8") as out:
        out.write('{"studies": [')
        for index in range(count):
            study = json.loads(json.dumps(templates[index % len(templates)]))
            protocol = study["protocolSection"]
            ident = protocol["identificationModule"]
            ident["nctId"] = f"NCT{90_000_000 + index:08d}"
            ident.pop("secondaryIdInfos", None)  # EudraCT numbers are unique: leave them out
            ident["briefTitle"] = f"{ident.get('briefTitle', 'Study')} ({index})"
            locations = protocol.setdefault("contactsLocationsModule", {}).get("locations", [])
            abroad = [loc for loc in locations if loc.get("country") != "Sweden"][:3]
            sites = rng.sample(SWEDISH_SITES, rng.randint(1, 6))
            status = rng.choice(STATUSES)
            protocol["contactsLocationsModule"]["locations"] = [
                {"facility": name, "city": city, "country": "Sweden"}
                | ({"status": status} if status else {})
                for name, city in sites
            ] + abroad
            out.write(("," if index else "") + json.dumps(study, ensure_ascii=False))
        out.write("]}")
    return path.stat().st_size


def _django(database: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studienav.settings")
    import django

    django.setup()


def _child(database: str, page: str, count: int) -> None:
    """Runs in a fresh process: import the page into the given database, print figures."""
    _django(database)
    from django.conf import settings

    from studienav.registry.importers import import_file

    # As in production: with DEBUG on, Django keeps the last 9,000 queries (with their
    # parameters, whole texts) in memory, which would show as growth here.
    settings.DEBUG = False

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = import_file(path=Path(page), publish=True)
    seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "records": count,
                "seconds": round(seconds, 2),
                "records_per_second": round(count / seconds, 1),
                "peak_rss_mb": round(rss_after / 1024, 1),
                "rss_growth_during_import_mb": round((rss_after - rss_before) / 1024, 1),
                "summary": report.summary,
            }
        )
    )


def _make_template(database: str) -> None:
    """Runs in a fresh process: migrate the database and load the demo organisations."""
    _django(database)
    from django.core.management import call_command

    from studienav.core.demo import organisations_load

    call_command("migrate", verbosity=0)
    organisations_load()


def _schema_digest() -> str:
    """A hash of every migration and of the demo organisations: the template's identity."""
    digest = hashlib.sha256()
    source = ROOT / "src" / "studienav"
    for path in [*sorted(source.glob("*/migrations/*.py")), source / "core" / "demo.py"]:
        digest.update(path.relative_to(source).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _template_database(workdir: Path) -> tuple[Path, bool]:
    """The migrated template (made once, then reused); whether this run had to make it."""
    template = Path(tempfile.gettempdir()) / f"studienav_bench_import_{_schema_digest()}.sqlite3"
    if template.exists():
        return template, False
    building = workdir / "template.sqlite3"
    env = {**os.environ, "STUDIENAV_VAR_DIR": str(workdir)}
    subprocess.run(  # noqa: S603 (our own module, our own arguments)
        [sys.executable, "-m", "benchmarks.bench_import", "--template", str(building)],
        env=env,
        check=True,
        cwd=ROOT,
    )
    shutil.copyfile(building, workdir / "template.copy")
    os.replace(workdir / "template.copy", template)  # atomic: never a half-copied template
    return template, True


def run(scale: float = 1.0) -> dict[str, Any]:
    sizes = [max(50, int(2000 * scale)), max(100, int(4000 * scale))]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        workdir = Path(tmp)
        template, migrated = _template_database(workdir)
        runs = []
        for size in sizes:
            page = workdir / f"page_{size}.json"
            file_bytes = generate(page, size)
            database = workdir / f"db_{size}.sqlite3"
            shutil.copyfile(template, database)
            env = {**os.environ, "STUDIENAV_VAR_DIR": str(workdir)}
            done = subprocess.run(  # noqa: S603 (our own module, our own arguments)
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_import",
                    str(database),
                    str(page),
                    str(size),
                ],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            figures["file_mb"] = round(file_bytes / 1e6, 1)
            runs.append(figures)
    return {
        "target_records_per_second": 1000,
        "database": "SQLite, a copy of a migrated template file per run",
        "template_migrated_now": migrated,
        "total_seconds": round(time.perf_counter() - started, 1),
        "runs": runs,
        "records_per_second": min(r["records_per_second"] for r in runs),
        "memory_flat": runs[1]["peak_rss_mb"] <= runs[0]["peak_rss_mb"] * 1.25,
    }


if __name__ == "__main__":
    if sys.argv[1] == "--template":
        _make_template(sys.argv[2])
    else:
        _child(sys.argv[1], sys.argv[2], int(sys.argv[3]))
