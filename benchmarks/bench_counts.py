"""Patient counts: five criteria over N synthetic persons, DuckDB beside Spark local, and our
generated SQL against a plain hand-written DuckDB query for the same question.

The question: type 2 diabetes (with its more specific concepts) as the index event, women
aged 40 to 75 at the index date, metformin (the ingredient and its products) within 30 days
after the diagnosis, and an HbA1c of 48 to 200 mmol/mol within a year before or 30 days
after it. The data: `studienav omop-synth` at N persons (10 million at --scale 1), kept in
var/bench/counts-synth-N/ between runs, loaded with counts-load into a store of its own.
Times are the median of REPEATS runs after one warm-up run; Spark runs fewer repeats.

    python -m benchmarks bench_counts --scale 0.1      # 1 million persons
    BENCH_COUNTS_SPARK=0 python -m benchmarks bench_counts   # DuckDB only
    BENCH_COUNTS_KEEP_STORE=1 ...   # count on the store already loaded
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

PERSONS_AT_SCALE_1 = 10_000_000
REPEATS = 5
SPARK_REPEATS = 3
SEED = 42

DEFINITION: dict[str, Any] = {
    "title": "Women 40-75 with type 2 diabetes, metformin within 30 days, HbA1c 48-200",
    "primary": {"domain": "condition", "concepts": {"concept_ids": [201826], "descendants": True}},
    "age": {"min": 40, "max": 75},
    "sex": ["female"],
    "inclusions": [
        {
            "label": "metformin",
            "domain": "drug",
            "concepts": {"concept_ids": [1503297], "descendants": True},
            "window": {"start": 0, "end": 30},
        },
        {
            "label": "HbA1c 48-200 mmol/mol",
            "domain": "measurement",
            "concepts": {"concept_ids": [3004410], "descendants": False},
            "window": {"start": -365, "end": 30},
            "value": {"min": 48, "max": 200, "unit_concept_ids": [9579]},
        },
    ],
}

# The same question as a person would write it by hand, straight on the tables.
HAND_WRITTEN = """
WITH diabetes AS (
  SELECT descendant_concept_id AS concept_id FROM concept_ancestor
  WHERE ancestor_concept_id = 201826
), metformin AS (
  SELECT descendant_concept_id AS concept_id FROM concept_ancestor
  WHERE ancestor_concept_id = 1503297
), first_diagnosis AS (
  SELECT co.person_id, min(co.condition_start_date) AS index_date
  FROM condition_occurrence co
  JOIN observation_period op ON op.person_id = co.person_id
   AND co.condition_start_date
       BETWEEN op.observation_period_start_date AND op.observation_period_end_date
  WHERE co.condition_concept_id IN (SELECT concept_id FROM diabetes)
  GROUP BY co.person_id
), cohort AS (
  SELECT f.person_id, f.index_date, op.observation_period_start_date AS op_start,
         op.observation_period_end_date AS op_end
  FROM first_diagnosis f
  JOIN person p ON p.person_id = f.person_id
  JOIN observation_period op ON op.person_id = f.person_id
   AND f.index_date BETWEEN op.observation_period_start_date AND op.observation_period_end_date
  WHERE p.gender_concept_id = 8532 AND year(f.index_date) - p.year_of_birth BETWEEN 40 AND 75
)
SELECT count(*) FROM cohort c
WHERE EXISTS (
  SELECT 1 FROM drug_exposure d
  WHERE d.person_id = c.person_id AND d.drug_concept_id IN (SELECT concept_id FROM metformin)
    AND d.drug_exposure_start_date BETWEEN c.index_date AND c.index_date + 30
    AND d.drug_exposure_start_date BETWEEN c.op_start AND c.op_end)
AND EXISTS (
  SELECT 1 FROM measurement m
  WHERE m.person_id = c.person_id AND m.measurement_concept_id = 3004410
    AND m.value_as_number BETWEEN 48 AND 200 AND m.unit_concept_id = 9579
    AND m.measurement_date BETWEEN c.index_date - 365 AND c.index_date + 30
    AND m.measurement_date BETWEEN c.op_start AND c.op_end)
"""


def _median_seconds(function: Any, repeats: int) -> tuple[float, list[float], Any]:
    answer = function()  # warm-up: file metadata, page cache, the Spark plan
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, answer


def run(scale: float = 1.0) -> dict[str, Any]:
    import django

    django.setup()
    from django.test import override_settings

    from studienav.counts.definition import definition_parse
    from studienav.counts.engines import count, spark_session_stop
    from studienav.counts.loading import counts_load
    from studienav.counts.store import store_connect, store_exists, store_path
    from studienav.counts.synth import omop_synth

    persons = int(os.environ.get("BENCH_COUNTS_PERSONS", 0)) or max(
        1000, int(PERSONS_AT_SCALE_1 * scale)
    )
    with_spark = os.environ.get("BENCH_COUNTS_SPARK", "1") != "0"
    base = Path("var/bench")
    synth_dir = base / f"counts-synth-{persons}"
    region = f"BENCH-{persons}"  # one store per size, so a kept store holds the size asked for
    result: dict[str, Any] = {"persons": persons, "question": DEFINITION["title"], "criteria": 5}
    if not (synth_dir / "visit_occurrence.parquet").exists():
        made = omop_synth(persons=persons, output=synth_dir, seed=SEED)
        result["synth_seconds"] = round(made.seconds, 1)
        result["synth_rows"] = made.rows
    with override_settings(COUNTS_DATA_DIR=base / "counts-store"):
        if os.environ.get("BENCH_COUNTS_KEEP_STORE") != "1" or not store_exists(region=region):
            loaded = counts_load(region=region, source_dir=synth_dir)
            result["load_seconds"] = round(loaded.seconds, 1)
            result["rows"] = loaded.rows
        definition = definition_parse(DEFINITION)

        median, times, answer = _median_seconds(
            lambda: count(region=region, definition=definition), REPEATS
        )
        result["duckdb"] = {
            "median_seconds": round(median, 3),
            "seconds": [round(t, 3) for t in times],
            "total": answer.total,
            "attrition": [list(row) for row in answer.attrition],
        }
        folder = store_path(region=region, must_exist=True)

        def hand() -> int:
            with store_connect(folder=folder) as connection:
                row = connection.execute(HAND_WRITTEN).fetchone()
            return int(row[0]) if row else -1

        hand_median, hand_times, hand_total = _median_seconds(hand, REPEATS)
        result["hand_written_duckdb"] = {
            "median_seconds": round(hand_median, 3),
            "seconds": [round(t, 3) for t in hand_times],
            "total": hand_total,
        }
        result["same_answer"] = hand_total == answer.total
        result["generated_vs_hand_written"] = (
            round(median / hand_median, 2) if hand_median else None
        )
        if with_spark:
            spark_median, spark_times, spark_answer = _median_seconds(
                lambda: count(region=region, definition=definition, engine="spark"), SPARK_REPEATS
            )
            result["spark_local"] = {
                "median_seconds": round(spark_median, 3),
                "seconds": [round(t, 3) for t in spark_times],
                "total": spark_answer.total,
                "master": os.environ.get("COUNTS_SPARK_MASTER", "local[2]"),
            }
            result["spark_same_answer"] = spark_answer.total == answer.total
            spark_session_stop()
    result["target"] = (
        "DuckDB under 1 s per region at 10 million persons; "
        "generated SQL within 1.5x of hand-written"
    )
    return result


if __name__ == "__main__":
    import json
    import sys

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studienav.settings")
    os.environ.setdefault("DEBUG", "1")
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    print(json.dumps(run(scale=scale), indent=2))
