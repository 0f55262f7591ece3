"""Study <-> exchange record: the snapshot of a study, and the one service that applies records.

`record_apply` matches a record to an existing study on any shared identifier and brings the
study up to date: fields present in the record overwrite, identifiers and sites are added
(never duplicated, never removed), and a record that changes nothing leaves no trace.

What an import could not understand of a record travels beside it as `ImportNote`s and is
kept on the study (`Study.import_notes`, never public) for a coordinator to check.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.audit import audit_record, audit_record_many
from studienav.core.bulk import JsonText, instances_insert, planner_statistics_refresh, rows_insert
from studienav.core.errors import DomainError, ValidationFailed
from studienav.core.models import Organisation, Region, User
from studienav.core.selectors import node_regions
from studienav.registry.icd10 import icd10_chapter
from studienav.registry.models import (
    PUBLIC_STATES,
    IdentifierScheme,
    Site,
    Study,
    StudyCondition,
    StudyIdentifier,
    StudyIntervention,
    StudyOutcome,
    StudyState,
    StudyVersion,
)
from studienav.registry.organisations import OrganisationMatcher
from studienav.registry.schema import (
    ConditionRecord,
    IdentifierRecord,
    InterventionRecord,
    OutcomeRecord,
    SiteRecord,
    StudyRecord,
)
from studienav.search.index import (
    StudyText,
    search_index_loaded,
    search_index_study,
    search_statistics_refresh,
    study_text,
)

_SCALARS = tuple(f for f in Study.PUBLIC_FIELDS)
_SITE_FIELDS = (
    "principal_investigator",
    "contact_name",
    "contact_email",
    "contact_phone",
    "recruitment_status",
    "target_enrolment",
    "actual_enrolment",
    "start_date",
)


class _NewSite:
    """A site of a study being created in bulk: what the version record and the search index
    read of a site, without building a model instance (thousands per import batch)."""

    __slots__ = ("organisation", "region", "country", *_SITE_FIELDS)

    def __init__(self, organisation: Organisation) -> None:
        self.organisation = organisation
        self.region: Region | None = organisation.region
        self.country = organisation.country

    @property
    def organisation_id(self) -> int:
        return self.organisation.pk

    @property
    def region_id(self) -> int | None:
        return self.region.pk if self.region is not None else None


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ApplyResult:
    outcome: Outcome
    study: Study
    # For an update: what changed, {field: (old, new)} as the exchange record has them.
    changes: dict[str, tuple[Any, Any]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class ImportNote:
    """A part of a record an import could not understand: where, what it said, and why."""

    field: str
    value: str
    message: str


def _note_key(source: str, note: ImportNote) -> str:
    """The same odd value in the same place from the same source is the same note."""
    text = "\x00".join((source, note.field, note.value))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def notes_merged(
    current: list[dict[str, Any]], notes: list[ImportNote], *, source: str
) -> list[dict[str, Any]]:
    """A study's notes after an import from `source`: those of other sources stay; of this
    source only the ones it gives again stay (handled or not), and new ones are added. So a
    re-import that now understands a field clears its note, and the same file changes none."""
    earlier = {n.get("key"): n for n in current if n.get("source", "") == source}
    merged = [n for n in current if n.get("source", "") != source]
    seen: set[str] = set()
    for note in notes:
        key = _note_key(source, note)
        if key in seen:
            continue
        seen.add(key)
        merged.append(
            earlier.get(key)
            or {
                "key": key,
                "source": source,
                "field": note.field,
                "value": note.value,
                "message": note.message,
            }
        )
    return merged


def notes_open(notes: list[dict[str, Any]]) -> int:
    """How many of a study's notes nobody has handled yet."""
    return sum(1 for note in notes if not note.get("handled_at"))


def _notes_set(study: Study, notes: list[dict[str, Any]]) -> None:
    study.import_notes = notes
    study.import_notes_open = notes_open(notes)


def region_codes() -> dict[int, str]:
    return dict(Region.objects.values_list("pk", "code"))


def _record_from_items(
    study: Study,
    *,
    identifiers: list[IdentifierRecord],
    conditions: list[ConditionRecord],
    interventions: list[InterventionRecord],
    outcomes: list[OutcomeRecord],
    sites: list[Site] | list[_NewSite],
    regions: dict[int, str],
) -> StudyRecord:
    """The exchange record of a study from its scalars, record items and sites; no queries."""
    data: dict[str, Any] = {field: getattr(study, field) for field in _SCALARS}
    data["therapeutic_area"] = study.therapeutic_area or None
    data.update(
        id=study.pk,
        state=study.state,
        source=study.source,
        identifiers=identifiers,
        conditions=conditions,
        interventions=interventions,
        outcomes=outcomes,
        sites=[_site_record(site, regions) for site in sites],
    )
    return StudyRecord.model_construct(**data)


def _site_record(site: Site | _NewSite, regions: dict[int, str]) -> SiteRecord:
    """A site as its record has it: the organisation's name and place, the site's own fields."""
    return SiteRecord.model_construct(
        **{
            **_site_identity(site.organisation, regions),
            "region": regions.get(site.region_id) if site.region_id else None,
        },
        **{f: getattr(site, f) for f in _SITE_FIELDS},
    )


def _record_from_rows(
    study: Study,
    *,
    identifiers: list[StudyIdentifier],
    conditions: list[StudyCondition],
    interventions: list[StudyIntervention],
    outcomes: list[StudyOutcome],
    sites: list[Site],
    regions: dict[int, str],
) -> StudyRecord:
    """The exchange record of a study from its rows (already loaded); no queries."""
    return _record_from_items(
        study,
        identifiers=[
            IdentifierRecord.model_construct(
                scheme=i.scheme,
                value=i.value,
                region=regions.get(i.region_id) if i.region_id else None,
                issuer=i.issuer,
                is_primary=i.is_primary,
            )
            for i in identifiers
        ],
        conditions=[
            ConditionRecord.model_construct(name=c.name, icd10=c.icd10) for c in conditions
        ],
        interventions=[
            InterventionRecord.model_construct(type=i.type, name=i.name, description=i.description)
            for i in interventions
        ],
        outcomes=[
            OutcomeRecord.model_construct(kind=o.kind, measure=o.measure, time_frame=o.time_frame)
            for o in outcomes
        ],
        sites=sites,
        regions=regions,
    )


def _loaded(study: Study, relation: str) -> bool:
    return relation in getattr(study, "_prefetched_objects_cache", {})


def study_to_record(study: Study, *, regions: dict[int, str] | None = None) -> StudyRecord:
    """The whole study as an exchange record (also the published version's content).

    Uses prefetched relations when the caller loaded them (`prefetch_related("identifiers",
    "conditions", "interventions", "outcomes", "sites__organisation")`), so exports stream.
    """
    sites = (
        list(study.sites.all())
        if _loaded(study, "sites")
        else list(study.sites.select_related("organisation").order_by("id"))
    )
    return _record_from_rows(
        study,
        identifiers=list(study.identifiers.all()),
        conditions=list(study.conditions.all()),
        interventions=list(study.interventions.all()),
        outcomes=list(study.outcomes.all()),
        sites=sites,
        regions=regions if regions is not None else (region_codes() if study.pk else {}),
    )


def public_snapshot(study: Study) -> dict[str, Any]:
    """What the public history keeps of a version: every public field, as JSON."""
    return study_to_record(study).model_dump(mode="json", exclude={"id", "state", "source"})


def version_publish(*, study: Study, by: User | None, reason: str) -> StudyVersion:
    """Keep the record as it is now as its next published version."""
    study.version += 1
    study.save(update_fields=["version"])
    return StudyVersion.objects.create(
        study=study,
        number=study.version,
        published_by=by,
        data=public_snapshot(study),
        reason=reason,
    )


def derive_therapeutic_area(codes: list[str]) -> str:
    """The commonest ICD-10 chapter among the condition codes, or '' when none is coded."""
    chapters = [c for c in (icd10_chapter(code) for code in codes if code) if c]
    if not chapters:
        return ""
    return max(sorted(set(chapters)), key=chapters.count)


@dataclass(frozen=True)
class Prepared:
    """What a new study's rows need of its record and no database: the published version's
    content without its sites, and the texts of its search entry. An import computes it in its
    reading process (importers._ahead), beside the parsing, so the writing process does not."""

    therapeutic_area: str
    version: str  # the version record as JSON, with a hole where its sites go (compact JSON)
    text: StudyText

    def version_with(self, sites: list[dict[str, Any]]) -> JsonText:
        """The version record's JSON text with its sites: the value the JSON field would store
        (spaced differently, which no reader sees)."""
        return JsonText(self.version.replace(_SITES_HOLE, json.dumps(sites), 1))


# Where the sites go in a prepared version record's JSON: a value no record holds (a name
# between NULs), whose JSON text is replaced with the sites' JSON.
_SITES = "\x00sites\x00"
_SITES_HOLE = json.dumps(_SITES)


def record_prepare(record: StudyRecord, region_codes: frozenset[str]) -> Prepared:
    """The `Prepared` of a record, given the codes of the regions the registry knows."""
    area = record.therapeutic_area or derive_therapeutic_area([c.icd10 for c in record.conditions])
    data: dict[str, Any] = {field: _dump(getattr(record, field)) for field in _SCALARS}
    data.update(
        therapeutic_area=area or None,
        identifiers=[
            i
            if i.region in region_codes or i.region is None
            else i.model_copy(update={"region": None})
            for i in record.identifiers
        ],
        conditions=record.conditions,
        interventions=record.interventions,
        outcomes=record.outcomes,
        sites=_SITES,
    )
    version = StudyRecord.model_construct(**data).model_dump_json(
        exclude={"id", "state", "source"}, warnings=False
    )
    if version.count(_SITES_HOLE) != 1:  # a text of the record holds it: go one by one
        raise ValidationFailed(
            code="record_unprepared", field="record", message=_("cannot be saved in bulk")
        )
    text = study_text(
        record,
        interventions=[i.name for i in record.interventions],
        conditions=[(c.name, c.icd10) for c in record.conditions],
    )
    return Prepared(area, version, text)


def _existing_study(record: StudyRecord) -> Study | None:
    keys = record.identifier_keys
    # Local numbers are unique per region, so they identify a study too.
    local = [
        (i.value, i.region)
        for i in record.identifiers
        if i.scheme == IdentifierScheme.LOCAL and i.region
    ]
    if not keys and not local:
        return _existing_by_other_identifiers(record)
    query = Q()
    for scheme, value in keys:
        query |= Q(scheme=scheme, value=value)
    for value, region in local:
        query |= Q(scheme=IdentifierScheme.LOCAL, value=value, region__code=region)
    studies = {
        i.study.merged_into or i.study
        for i in StudyIdentifier.objects.filter(query).select_related("study__merged_into")
    }
    if len(studies) > 1:
        names = ", ".join(
            f"#{s.pk} {s.public_title[:60]}" for s in sorted(studies, key=lambda s: s.pk)
        )
        raise ValidationFailed(
            code="identifiers_in_two_studies",
            field="identifiers",
            message=_(
                "The identifiers belong to different studies (%(studies)s); merge them first."
            )
            % {"studies": names},
        )
    return studies.pop() if studies else None


def _existing_by_other_identifiers(record: StudyRecord) -> Study | None:
    """A record with only other registries' numbers (an unreadable NCT kept as one, a
    sponsor's protocol number) is the one study that holds every one of them from the same
    issuers: so a record kept with notes is found again on the next import, while a number
    that many records share (a placeholder, a sponsor's programme) joins nothing."""
    others = {(i.value, i.issuer) for i in record.identifiers if i.scheme == IdentifierScheme.OTHER}
    if not others:
        return None
    query = Q()
    for value, issuer in others:
        query |= Q(value=value, issuer=issuer)
    held: dict[Study, set[tuple[str, str]]] = {}
    rows = StudyIdentifier.objects.filter(query, scheme=IdentifierScheme.OTHER)
    for row in rows.select_related("study__merged_into")[:1000]:
        held.setdefault(row.study.merged_into or row.study, set()).add((row.value, row.issuer))
    holding_all = [study for study, values in held.items() if values == others]
    return holding_all[0] if len(holding_all) == 1 else None


def _lead_region(sites: list[Site]) -> Region | None:
    ours = set(node_regions().values_list("pk", flat=True))
    regions = [s.region for s in sites if s.region is not None]
    for region in regions:
        if region.pk in ours:
            return region
    return regions[0] if regions else None


def _dump(value: Any) -> Any:
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value.model_dump() if hasattr(value, "model_dump") else value


def _comparable(record: StudyRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json", exclude={"id", "format", "state", "source"})
    data["sites"] = sorted(data["sites"], key=lambda s: (s["organisation"], s["city"]))
    data["identifiers"] = sorted(data["identifiers"], key=lambda i: (i["scheme"], i["value"]))
    return data


def _differences(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        name: (before.get(name), value)
        for name, value in after.items()
        if before.get(name) != value
    }


def _site_identity(organisation: Any, regions: dict[int, str]) -> dict[str, Any]:
    return {
        "organisation": organisation.name,
        "city": organisation.city,
        "postal_code": organisation.postal_code,
        "country": organisation.country,
        "region": regions.get(organisation.region_id) if organisation.region_id else None,
        "latitude": organisation.latitude,
        "longitude": organisation.longitude,
    }


def _site_json(
    site: _NewSite, regions: dict[int, str], places: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """`_site_record(site, regions).model_dump(mode="json")` without building the record: its
    organisation's part (kept in `places`, shared by the sites at one organisation) and the
    site's own fields."""
    organisation = site.organisation
    identity = places.get(organisation.pk)
    if identity is None:
        identity = places[organisation.pk] = _site_identity(organisation, regions)
    data = {**identity, **{f: getattr(site, f) for f in _SITE_FIELDS}}
    data["region"] = regions.get(site.region_id) if site.region_id else None
    data["recruitment_status"] = str(data["recruitment_status"])
    if data["start_date"] is not None:
        data["start_date"] = data["start_date"].isoformat()
    return data


def _merged(
    study: Study, existing: StudyRecord, record: StudyRecord, matcher: OrganisationMatcher
) -> StudyRecord:
    """The existing record brought up to date with what the new record carries.

    Scalar fields and lists the record carries replace the study's; identifiers and sites
    are added to. Sites are matched to organisations first, so a site listed under another
    name of the same hospital updates the site instead of adding a second one.
    """
    data = existing.model_dump()
    for field in record.model_fields_set - {
        "identifiers",
        "sites",
        "id",
        "format",
        "state",
        "source",
    }:
        data[field] = _dump(getattr(record, field))
    known = {(i["scheme"], i["value"], i["region"]) for i in data["identifiers"]}
    for identifier in record.identifiers:
        if (identifier.scheme, identifier.value, identifier.region) not in known:
            data["identifiers"].append(identifier.model_dump())
    regions = region_codes()
    by_organisation: dict[int, dict[str, Any]] = {}
    for site, row in zip(
        study.sites.select_related("organisation").order_by("id"), data["sites"], strict=True
    ):
        by_organisation[site.organisation_id] = row
    for item in record.sites:
        organisation, _created = matcher.match(item)
        update = item.model_dump(include=set(_SITE_FIELDS) & item.model_fields_set)
        if organisation.pk in by_organisation:
            by_organisation[organisation.pk].update(update)
        else:
            row = {**item.model_dump(), **_site_identity(organisation, regions)}
            data["sites"].append(row)
            by_organisation[organisation.pk] = row
    return StudyRecord.model_construct(
        **{
            **data,
            "identifiers": [IdentifierRecord.model_construct(**i) for i in data["identifiers"]],
            "sites": [SiteRecord.model_construct(**s) for s in data["sites"]],
            "conditions": [ConditionRecord.model_construct(**c) for c in data["conditions"]],
            "interventions": [
                InterventionRecord.model_construct(**c) for c in data["interventions"]
            ],
            "outcomes": [OutcomeRecord.model_construct(**c) for c in data["outcomes"]],
        }
    )


def _replace_children(study: Study, model: Any, items: list[Any], fields: tuple[str, ...]) -> None:
    """Replace a study's conditions, interventions or outcomes when they differ."""
    current = [
        tuple(row) for row in model.objects.filter(study=study).order_by("id").values_list(*fields)
    ]
    wanted = [tuple(getattr(item, f) for f in fields) for item in items]
    if current != wanted:
        model.objects.filter(study=study).delete()
        model.objects.bulk_create(
            [model(study=study, **dict(zip(fields, row, strict=True))) for row in wanted]
        )


def _identifier_rows(
    study: Study, record: StudyRecord, regions: dict[str, Region]
) -> list[StudyIdentifier]:
    return [
        StudyIdentifier(
            study=study,
            scheme=i.scheme,
            value=i.value,
            region=regions.get(i.region) if i.region else None,
            issuer=i.issuer,
            is_primary=i.is_primary,
        )
        for i in record.identifiers
    ]


def _write(study: Study, record: StudyRecord, matcher: OrganisationMatcher) -> None:
    """Make the study's rows say what the record says (sites matched to organisations)."""
    for field in _SCALARS:
        setattr(study, field, _dump(getattr(record, field)))
    study.therapeutic_area = record.therapeutic_area or derive_therapeutic_area(
        [c.icd10 for c in record.conditions]
    )
    study.updated_at = timezone.now()
    study.full_clean(exclude=["primary_sponsor", "lead_region", "created_by", "merged_into"])
    study.save()
    regions = {r.code: r for r in Region.objects.all()}
    existing = {(i.scheme, i.value, i.region_id) for i in study.identifiers.all()}
    StudyIdentifier.objects.bulk_create(
        [
            row
            for row in _identifier_rows(study, record, regions)
            if (row.scheme, row.value, row.region_id) not in existing
        ]
    )
    _replace_children(study, StudyCondition, record.conditions, ("name", "icd10"))
    _replace_children(
        study, StudyIntervention, record.interventions, ("type", "name", "description")
    )
    _replace_children(study, StudyOutcome, record.outcomes, ("kind", "measure", "time_frame"))
    sites = {s.organisation_id: s for s in study.sites.all()}
    for item in record.sites:
        organisation, _created = matcher.match(item)
        site = sites.get(organisation.pk) or Site(study=study, organisation=organisation)
        for field in _SITE_FIELDS:
            setattr(site, field, getattr(item, field))
        site.region = organisation.region
        site.country = organisation.country
        site.updated_at = timezone.now()
        site.save()
        sites[organisation.pk] = site


@transaction.atomic
def record_apply(
    *,
    record: StudyRecord,
    by: User | None,
    reason: str,
    publish: bool = False,
    matcher: OrganisationMatcher | None = None,
    notes: list[ImportNote] | None = None,
) -> ApplyResult:
    """Create or update the study a record describes; all of the record or none of it.

    `notes`: what the import could not understand of the record; they replace the study's
    earlier notes from the same source (None leaves the notes as they are)."""
    matcher = matcher or OrganisationMatcher()
    mark = matcher.mark()
    try:
        return _apply_one(
            record=record, by=by, reason=reason, publish=publish, matcher=matcher, notes=notes
        )
    except BaseException:
        matcher.forget_since(mark)  # organisations it created are rolled back with it
        raise


def _apply_one(
    *,
    record: StudyRecord,
    by: User | None,
    reason: str,
    publish: bool,
    matcher: OrganisationMatcher,
    notes: list[ImportNote] | None,
) -> ApplyResult:
    study = _existing_study(record)
    if study is None:
        study = Study(
            state=record.state or (StudyState.PUBLISHED if publish else StudyState.SUBMITTED),
            source=record.source,
            created_by=by,
            status_confirmed_at=timezone.now(),
        )
        _notes_set(study, notes_merged([], notes or [], source=record.source))
        _write(study, record, matcher)
        study.lead_region = _lead_region(list(study.sites.select_related("region")))
        if study.state in (StudyState.PUBLISHED, StudyState.COMPLETED):
            study.published_at = timezone.now()
        study.save(update_fields=["lead_region", "published_at"])
        audit_record(
            actor=by,
            action="study.import_create",
            obj=study,
            reason=reason,
            changes=_created_changes(study),
            label=study.public_title[:200],
        )
        if study.is_public:
            version_publish(study=study, by=by, reason=reason)
        search_index_study(study.pk)
        return ApplyResult(Outcome.CREATED, study)

    existing = study_to_record(study)
    target = _merged(study, existing, record, matcher)
    changes = _differences(_comparable(existing), _comparable(target))
    notes_before = list(study.import_notes)
    notes_after = (
        notes_before if notes is None else notes_merged(notes_before, notes, source=record.source)
    )
    notes_change: dict[str, Any] = {}
    if notes_after != notes_before:
        notes_change["import_notes"] = [notes_open(notes_before), notes_open(notes_after)]
    if not changes and not (publish and not study.is_public):
        if not notes_change:
            return ApplyResult(Outcome.UNCHANGED, study)
        _notes_set(study, notes_after)  # only the notes: nothing public changes
        study.save(update_fields=["import_notes", "import_notes_open"])
        audit_record(
            actor=by,
            action="study.import_update",
            obj=study,
            changes=notes_change,
            reason=reason,
            label=study.public_title[:200],
        )
        return ApplyResult(Outcome.UPDATED, study, _notes_difference(notes_change))
    before = public_snapshot(study)
    _notes_set(study, notes_after)
    _write(study, target, matcher)
    if publish and study.state in (StudyState.DRAFT, StudyState.SUBMITTED, StudyState.RETURNED):
        study.state = StudyState.PUBLISHED
        study.published_at = timezone.now()
        study.save(update_fields=["state", "published_at"])
    after = public_snapshot(study)
    audit_record(
        actor=by,
        action="study.import_update",
        obj=study,
        before=before,
        after=after,
        changes=notes_change or None,
        reason=reason,
        label=study.public_title[:200],
    )
    if study.is_public:
        version_publish(study=study, by=by, reason=reason)
    search_index_study(study.pk)
    return ApplyResult(Outcome.UPDATED, study, {**changes, **_notes_difference(notes_change)})


def _notes_difference(change: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The change of the open notes' count, as `ApplyResult.changes` has it."""
    if not change:
        return {}
    before, after = change["import_notes"]
    return {"import_notes": (before, after)}


def _created_changes(study: Study) -> dict[str, Any]:
    """What the creation event records beyond the fields: the source, and notes if any."""
    changes: dict[str, Any] = {"source": [None, study.source]}
    if study.import_notes_open:
        changes["import_notes"] = [0, study.import_notes_open]
    return changes


def identifier_owner(scheme: str, value: str, region: Region | None = None) -> Study | None:
    """The study that already holds an identifier, if any (local numbers per region)."""
    query = StudyIdentifier.objects.filter(scheme=scheme, value=value)
    if scheme == IdentifierScheme.LOCAL:
        query = query.filter(region=region)
    found = query.select_related("study").first()
    return found.study if found else None


def registry_statistics_refresh() -> None:
    """The query planner's statistics of the registry's tables and of its search index, after
    many rows were written (an import, generated data): without them PostgreSQL, until its
    autovacuum comes by, reads a page of studies' conditions and sites by scanning the whole
    tables."""
    planner_statistics_refresh(
        Study,
        Site,
        StudyCondition,
        StudyIdentifier,
        StudyIntervention,
        StudyOutcome,
        StudyVersion,
    )
    search_statistics_refresh()


def records_apply(
    *,
    records: list[StudyRecord],
    by: User | None,
    reason: str,
    publish: bool = False,
    matcher: OrganisationMatcher | None = None,
    prepared: list[Prepared | None] | None = None,
    notes: list[list[ImportNote]] | None = None,
) -> list[ApplyResult | DomainError]:
    """Apply many records: new studies in bulk, the rest one by one; each all or nothing.

    Records whose identifiers no study holds (and no other record in the batch repeats) are
    created together in one transaction; if that fails, every record of the batch goes
    through `record_apply` on its own, so one bad record never takes others with it.
    `prepared` may carry each record's `record_prepare` (computed here when missing), and
    `notes` each record's notes (as `record_apply` takes them).
    """
    matcher = matcher or OrganisationMatcher()
    results: list[ApplyResult | DomainError | None] = [None] * len(records)
    values = {value for record in records for _scheme, value in record.identifier_keys}
    taken = set(StudyIdentifier.objects.filter(value__in=values).values_list("scheme", "value"))
    seen: set[tuple[str, str]] = set()
    fresh: list[int] = []
    one_by_one: list[int] = []
    for index, record in enumerate(records):
        keys = set(record.identifier_keys)
        if keys and not keys & taken and not keys & seen:
            fresh.append(index)
            seen |= keys
        else:
            one_by_one.append(index)
    if fresh:
        mark = matcher.mark()
        try:
            with transaction.atomic():
                studies = _create_many(
                    [records[i] for i in fresh],
                    [prepared[i] if prepared else None for i in fresh],
                    [notes[i] if notes else [] for i in fresh],
                    by=by,
                    reason=reason,
                    publish=publish,
                    matcher=matcher,
                )
        except (IntegrityError, DomainError, DjangoValidationError):
            matcher.forget_since(mark)
            one_by_one.extend(fresh)
        else:
            for index, study in zip(fresh, studies, strict=True):
                results[index] = ApplyResult(Outcome.CREATED, study)
    for index in sorted(one_by_one):
        try:
            results[index] = record_apply(
                record=records[index],
                by=by,
                reason=reason,
                publish=publish,
                matcher=matcher,
                notes=notes[index] if notes else None,
            )
        except DomainError as error:
            results[index] = error
    return [r for r in results if r is not None]


def _create_many(
    records: list[StudyRecord],
    prepared: list[Prepared | None],
    notes: list[list[ImportNote]],
    *,
    by: User | None,
    reason: str,
    publish: bool,
    matcher: OrganisationMatcher,
) -> list[Study]:
    now = timezone.now()
    regions = {r.code: r for r in Region.objects.all()}
    codes = {r.pk: r.code for r in regions.values()}
    known = frozenset(regions)
    ours = set(node_regions().values_list("pk", flat=True))
    readied = [p or record_prepare(r, known) for p, r in zip(prepared, records, strict=True)]
    studies: list[Study] = []
    study_sites: list[list[_NewSite]] = []
    for record, ready, record_notes in zip(records, readied, notes, strict=True):
        study = Study(
            state=record.state or (StudyState.PUBLISHED if publish else StudyState.SUBMITTED),
            source=record.source,
            created_by=by,
            created_at=now,
            updated_at=now,
            status_confirmed_at=now,
        )
        _notes_set(study, notes_merged([], record_notes, source=record.source))
        for field in _SCALARS:
            setattr(study, field, _dump(getattr(record, field)))
        study.therapeutic_area = ready.therapeutic_area
        by_organisation: dict[int, _NewSite] = {}
        for item in record.sites:
            organisation, _created = matcher.match(item)
            site = by_organisation.get(organisation.pk) or _NewSite(organisation)
            for field in _SITE_FIELDS:
                setattr(site, field, getattr(item, field))
            by_organisation[organisation.pk] = site
        site_regions = [s.region for s in by_organisation.values() if s.region is not None]
        study.lead_region = next(
            (r for r in site_regions if r.pk in ours), site_regions[0] if site_regions else None
        )
        if study.state in PUBLIC_STATES:
            study.published_at = now
            study.version = 1
        studies.append(study)
        study_sites.append(list(by_organisation.values()))
    instances_insert(studies)

    # Plain executemany from the records: bulk_create's model instances and per-value SQL
    # compilation were more than half of an import's time (bench_import).
    pairs = list(zip(studies, records, strict=True))
    rows_insert(
        StudyIdentifier,
        ("study", "scheme", "value", "region", "issuer", "is_primary"),
        (
            (
                study.pk,
                i.scheme,
                i.value,
                regions[i.region].pk if i.region in regions else None,
                i.issuer,
                i.is_primary,
            )
            for study, record in pairs
            for i in record.identifiers
        ),
    )
    rows_insert(
        StudyCondition,
        ("study", "name", "icd10"),
        ((study.pk, c.name, c.icd10) for study, record in pairs for c in record.conditions),
    )
    rows_insert(
        StudyIntervention,
        ("study", "type", "name", "description"),
        (
            (study.pk, i.type, i.name, i.description)
            for study, record in pairs
            for i in record.interventions
        ),
    )
    rows_insert(
        StudyOutcome,
        ("study", "kind", "measure", "time_frame"),
        (
            (study.pk, o.kind, o.measure, o.time_frame)
            for study, record in pairs
            for o in record.outcomes
        ),
    )
    rows_insert(
        Site,
        ("study", "organisation", "region", "country", "created_at", "updated_at", *_SITE_FIELDS),
        (
            (
                study.pk,
                site.organisation_id,
                site.region_id,
                site.country,
                now,
                now,
                *(getattr(site, f) for f in _SITE_FIELDS),
            )
            for study, sites in zip(studies, study_sites, strict=True)
            for site in sites
        ),
    )
    places: dict[int, dict[str, Any]] = {}
    rows_insert(
        StudyVersion,
        ("study", "number", "published_by", "published_at", "reason", "data"),
        (
            (
                study.pk,
                1,
                by.pk if by is not None else None,
                now,
                reason,
                ready.version_with([_site_json(site, codes, places) for site in sites]),
            )
            for study, ready, sites in zip(studies, readied, study_sites, strict=True)
            if study.state in PUBLIC_STATES
        ),
    )
    audit_record_many(
        actor=by,
        action="study.import_create",
        objects=list(studies),
        reason=reason,
        changes=[_created_changes(s) for s in studies],
    )
    for study, sites in zip(studies, study_sites, strict=True):
        # The sites just written, as if prefetched, so the index reads them without queries
        # (the study's own texts come prepared).
        study._prefetched_objects_cache = {"sites": sites}  # type: ignore[attr-defined]
    search_index_loaded(studies, [ready.text for ready in readied], new=True)
    for study in studies:
        # The cached rows were written without reading back their ids: forget them.
        study._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    return studies
