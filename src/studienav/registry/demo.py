"""Demo studies: about 120 realistic records through the audited services, or N synthetic ones fast.

`studienav demo-data` loads the realistic set (`demo_history.py`). With `--studies N` it
generates N synthetic studies in bulk for scale tests: rows are written with plain multi-row
inserts in batches, and one audit event records the whole generation. Both draw every study
from a condition's template (`demo_draw.py`), deterministic for a given seed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any, TextIO

from django.db import connection, models
from django.utils import timezone

from studienav.core.audit import audit_record
from studienav.registry.demo_draw import StudyDraft, study_draw
from studienav.registry.demo_history import demo_studies_load
from studienav.registry.demo_sites import pools_load
from studienav.registry.models import (
    EnrolmentReport,
    Site,
    Study,
    StudyCondition,
    StudyIdentifier,
    StudyIntervention,
    StudyOutcome,
    StudyState,
)
from studienav.registry.records import registry_statistics_refresh

SYNTHETIC_SOURCE = "synthetic"
_REASON = "demo data"
_BATCH = 2000
_SQLITE_CACHE_KIB = 512 * 1024


def _batches(total: int, size: int) -> Iterator[range]:
    for first in range(0, total, size):
        yield range(first, min(first + size, total))


class _Table:
    """Plain multi-row inserts for one model: the generator's rows skip the ORM's per-value work.

    Dates and JSON are adapted by their fields; everything else goes to the driver as is.
    """

    def __init__(self, model: type[models.Model], *, with_id: bool = False) -> None:
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.table = model._meta.db_table
        self.attnames = [f.attname for f in fields]
        self.adapted = {
            f.attname: f for f in fields if isinstance(f, models.DateField | models.JSONField)
        }
        self.defaults = {
            f.attname: f.get_db_prep_save(f.get_default(), connection)
            for f in fields
            if not f.primary_key
        }
        self._adapted_values: dict[tuple[str, Any], Any] = {}
        quote = connection.ops.quote_name
        # Table and column names come from the model, never from input.
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(self.table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )

    def reserve(self, count: int) -> list[int]:
        """Ids for the next rows (the generator names children's parents before inserting)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            table = connection.ops.quote_name(self.table)
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            first = int(cursor.fetchone()[0]) + 1
        return list(range(first, first + count))

    def _adapt(self, field: models.Field[Any, Any], value: Any) -> Any:
        if isinstance(field, models.JSONField):
            return field.get_db_prep_save(value, connection)
        key = (field.attname, value)  # dates repeat: adapt each one once
        if key not in self._adapted_values:
            self._adapted_values[key] = field.get_db_prep_save(value, connection)
        return self._adapted_values[key]

    def insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        values = []
        for row in rows:
            out = []
            for name in self.attnames:
                if name in row:
                    value = row[name]
                    field = self.adapted.get(name)
                    if field is not None and value is not None:
                        value = self._adapt(field, value)
                    out.append(value)
                else:
                    out.append(self.defaults[name])
            values.append(out)
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, values)


def _moment(day: date, now: datetime) -> datetime:
    """Working hours on a day, as the generator's timestamps; never after now."""
    at = timezone.make_aware(datetime.combine(day, clock(9 + day.toordinal() % 7, 0)))
    return min(at, now)


def _study_row(pk: int, draft: StudyDraft, now: datetime) -> dict[str, Any]:
    public = draft.state in (StudyState.PUBLISHED, StudyState.COMPLETED)
    actual = sum(s.actual for s in draft.sites if s.actual is not None)
    created = draft.days["created"]
    changed = draft.days["changed"]
    assert created is not None and changed is not None
    created_at = _moment(created, now)
    return {
        **draft.fields,
        "id": pk,
        "state": draft.state,
        "lead_region_id": draft.lead_region.pk,
        "primary_sponsor_id": draft.sponsor.pk if draft.sponsor else None,
        "actual_enrolment": actual or None,
        "source": SYNTHETIC_SOURCE,
        "created_at": created_at,
        "updated_at": max(_moment(changed, now), created_at),
        "published_at": created_at if public else None,
        "status_confirmed_at": now - timedelta(days=draft.confirmed_days_ago),
    }


def studies_generate(*, count: int, seed: int, stdout: TextIO | None = None) -> int:
    """N synthetic studies with sites, identifiers and enrolment reports, written in bulk.

    Run it inside a transaction (the demo-data command does): ids are reserved per batch.
    """
    rng = random.Random(f"registry-synthetic-{seed}")  # noqa: S311  (demo data, not secrets)
    pools = pools_load()
    today = timezone.localdate()
    now = timezone.now()
    first_seq = Study.objects.filter(source=SYNTHETIC_SOURCE).count()
    tables = {Study: _Table(Study, with_id=True), Site: _Table(Site, with_id=True)}
    tables |= {
        model: _Table(model)
        for model in (
            StudyIdentifier,
            StudyCondition,
            StudyIntervention,
            StudyOutcome,
            EnrolmentReport,
        )
    }
    if connection.vendor == "sqlite":
        # One long transaction: a page cache that holds it saves spilling pages to the WAL.
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
    started = time.monotonic()
    last_pk: int | None = None
    for batch in _batches(count, _BATCH):
        drafts = [study_draw(rng, pools, first_seq + i, today) for i in batch]
        study_ids = tables[Study].reserve(len(drafts))
        site_ids = iter(tables[Site].reserve(sum(len(d.sites) for d in drafts)))
        rows: dict[type[models.Model], list[dict[str, Any]]] = {model: [] for model in tables}
        for pk, draft in zip(study_ids, drafts, strict=True):
            rows[Study].append(_study_row(pk, draft, now))
            rows[StudyIdentifier] += [
                {"study_id": pk, "scheme": scheme, "value": value, "is_primary": index == 0}
                for index, (scheme, value) in enumerate(draft.identifiers)
            ]
            rows[StudyCondition] += [
                {
                    "study_id": pk,
                    "name": c.name_sv if draft.swedish else c.name_en,
                    "icd10": c.icd10,
                }
                for c in draft.conditions
            ]
            rows[StudyIntervention] += [
                {"study_id": pk, "type": kind, "name": name, "description": text}
                for kind, name, text in draft.interventions
            ]
            rows[StudyOutcome] += [
                {"study_id": pk, "kind": kind, "measure": measure, "time_frame": frame}
                for kind, measure, frame in draft.outcomes
            ]
            for site in draft.sites:
                site_pk = next(site_ids)
                organisation = site.organisation
                rows[Site].append(
                    {
                        "id": site_pk,
                        "study_id": pk,
                        "organisation_id": organisation.pk,
                        "region_id": organisation.region_id,
                        "country": organisation.country,
                        "principal_investigator": site.investigator,
                        "contact_email": site.contact_email,
                        "recruitment_status": site.status,
                        "target_enrolment": site.target,
                        "actual_enrolment": site.actual,
                        "start_date": site.start,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                rows[EnrolmentReport] += [
                    {
                        "site_id": site_pk,
                        "reported_on": day,
                        "actual_enrolment": value,
                        "created_at": now,
                    }
                    for day, value in site.reports
                ]
        for model, table in tables.items():
            table.insert(rows[model])
        last_pk = study_ids[-1]
        if stdout is not None:
            rate = batch.stop / max(time.monotonic() - started, 1e-6)
            stdout.write(f"  {batch.stop} of {count} studies ({rate:.0f} a second)\n")
    if last_pk is not None:
        audit_record(
            actor=None,
            action="study.generate",
            obj=Study.objects.get(pk=last_pk),
            reason=_REASON,
            label=f"{count} synthetic studies",
            changes={
                "studies": [first_seq, first_seq + count],
                "seed": [None, seed],
                "source": [None, SYNTHETIC_SOURCE],
            },
        )
    return count


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    """The realistic demo studies, or with `--studies N` N synthetic ones for scale."""
    seed = int(options.get("seed") or 2025)
    quiet = bool(options.get("quiet"))
    count = options.get("studies")
    if count is not None:
        started = time.monotonic()
        studies_generate(count=int(count), seed=seed, stdout=None if quiet else stdout)
        registry_statistics_refresh()
        if not quiet:
            seconds = time.monotonic() - started
            stdout.write(f"Generated {count} synthetic studies in {seconds:.1f} s.\n")
        return
    counts = demo_studies_load(seed=seed)
    if not quiet:
        stdout.write(
            "Demo studies: created {created}, updated {updated}, unchanged {unchanged}.\n".format(
                **counts
            )
        )
