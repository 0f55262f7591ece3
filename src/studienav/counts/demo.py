"""Demo patient counts: a few definitions, and questions answered from the regions' stores
when this installation holds demo stores (no data is generated here: it stays fast)."""

from __future__ import annotations

import random
from typing import Any, TextIO

from studienav.core.models import User
from studienav.core.selectors import node_regions
from studienav.counts import services
from studienav.counts.models import CohortDefinition

_MARK = "@demo.example"

DEFINITIONS: list[tuple[str, dict[str, Any]]] = [
    (
        "Typ 2-diabetes med metformin (type 2 diabetes on metformin)",
        {
            "primary": {"domain": "condition", "concepts": {"concept_ids": [201826]}},
            "observation": {"prior_days": 365, "post_days": 0},
            "age": {"min": 40, "max": 75},
            "inclusions": [
                {
                    "label": "Metformin",
                    "domain": "drug",
                    "concepts": {"concept_ids": [1503297]},
                    "window": {"start": 0, "end": 30},
                }
            ],
        },
    ),
    (
        "Astma hos vuxna (asthma in adults)",
        {
            "primary": {"domain": "condition", "concepts": {"concept_ids": [317009]}},
            "age": {"min": 18, "max": 65},
        },
    ),
    (
        "Högt blodtryck utan diabetes (hypertension without diabetes)",
        {
            "primary": {"domain": "condition", "concepts": {"concept_ids": [320128]}},
            "age": {"min": 50, "max": 85},
            "exclusions": [
                {"label": "Diabetes", "domain": "condition", "concepts": {"concept_ids": [201826]}}
            ],
        },
    ),
]


def _has_store(code: str) -> bool:
    from studienav.counts.store import store_path

    return (store_path(region=code) / "person.parquet").exists()


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    """Three definitions owned by the node office; each asked of the regions if any region
    of the node has a store here (otherwise they wait for agents)."""
    owner = User.objects.filter(email=f"cecilia{_MARK}").first()
    if owner is None:
        stdout.write("counts: core demo data missing, no definitions created\n")
        return
    if CohortDefinition.objects.filter(owner=owner).exists():
        return
    with_data = [r for r in node_regions() if _has_store(r.code)]
    for title, content in DEFINITIONS:
        definition = services.definition_create(
            by=owner, title=title, content={"title": title, **content}, note="demo data"
        )
        if with_data and definition.latest is not None:
            services.question_ask(version=definition.latest, by=owner)
    stdout.write(
        f"counts: {len(DEFINITIONS)} definitions"
        + (f", asked of {len(with_data)} regions with data\n" if with_data else "\n")
    )
