"""Export studies as `studienav.study/1` JSON lines (backup and node-to-node exchange) or CSV.

Both stream in constant memory: studies are read with `.iterator(chunk_size=...)`, which
prefetches their identifiers, conditions, interventions, outcomes and sites chunk by chunk.
A jsonl export imported into an empty database gives the same records back.

CSV columns (`CSV_COLUMNS`), one row per study:
id, state, identifiers (`scheme:value`, local numbers `local:value@region`, joined by ` | `),
public_title, public_title_en, scientific_title, acronym, study_type, phase, sponsor_type,
primary_sponsor_name, overall_status, therapeutic_area, conditions (`name [ICD-10]` joined by
` | `), planned_start_date, actual_start_date, planned_end_date, actual_end_date,
target_enrolment, actual_enrolment, min_age_years, max_age_years, sex, healthy_volunteers,
countries (ISO codes joined by ` | `), sites (`name (region code)`, or `name (country)`
abroad, joined by ` | `), public_contact_name, public_contact_email. A cell a spreadsheet would
run as a formula starts with `'` (`core.spreadsheets`).
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Prefetch, QuerySet

from studienav.core.spreadsheets import SpreadsheetCsvWriter, Writable
from studienav.registry.models import PUBLIC_STATES, Site, Study
from studienav.registry.records import region_codes, study_to_record
from studienav.registry.schema import StudyRecord

CHUNK = 500
JOIN = " | "

CSV_COLUMNS = (
    "id",
    "state",
    "identifiers",
    "public_title",
    "public_title_en",
    "scientific_title",
    "acronym",
    "study_type",
    "phase",
    "sponsor_type",
    "primary_sponsor_name",
    "overall_status",
    "therapeutic_area",
    "conditions",
    "planned_start_date",
    "actual_start_date",
    "planned_end_date",
    "actual_end_date",
    "target_enrolment",
    "actual_enrolment",
    "min_age_years",
    "max_age_years",
    "sex",
    "healthy_volunteers",
    "countries",
    "sites",
    "public_contact_name",
    "public_contact_email",
)


def _studies(published_only: bool) -> QuerySet[Study]:
    studies = Study.objects.filter(merged_into__isnull=True).order_by("pk")
    if published_only:
        studies = studies.filter(state__in=PUBLIC_STATES)
    return studies.prefetch_related(
        "identifiers",
        "conditions",
        "interventions",
        "outcomes",
        Prefetch("sites", queryset=Site.objects.select_related("organisation").order_by("id")),
    )


def export_records(*, published_only: bool = False) -> Any:
    """The exchange records of the studies, one at a time (a generator)."""
    regions = region_codes()
    for study in _studies(published_only).iterator(chunk_size=CHUNK):
        yield study_to_record(study, regions=regions)


def _csv_row(record: StudyRecord) -> list[Any]:
    data = record.model_dump(mode="json")
    data["identifiers"] = JOIN.join(
        f"{i['scheme']}:{i['value']}" + (f"@{i['region']}" if i["region"] else "")
        for i in data["identifiers"]
    )
    data["conditions"] = JOIN.join(
        c["name"] + (f" [{c['icd10']}]" if c["icd10"] else "") for c in data["conditions"]
    )
    data["countries"] = JOIN.join(data["countries"])
    data["sites"] = JOIN.join(
        f"{s['organisation']} ({s['region'] or s['country']})" for s in data["sites"]
    )
    return ["" if data.get(c) is None else data.get(c) for c in CSV_COLUMNS]


def export_studies(*, out: Writable, format: str = "jsonl", published_only: bool = False) -> int:
    """Write the studies to `out` (text stream); returns how many were written."""
    count = 0
    if format == "jsonl":
        for record in export_records(published_only=published_only):
            out.write(json.dumps(record.model_dump(mode="json"), ensure_ascii=False) + "\n")
            count += 1
        return count
    if format == "csv":
        writer = SpreadsheetCsvWriter(out)
        writer.writerow(CSV_COLUMNS)
        for record in export_records(published_only=published_only):
            writer.writerow(_csv_row(record))
            count += 1
        return count
    raise ValueError("format is jsonl or csv")
