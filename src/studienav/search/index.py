"""Keeping the search index in step with the registry: called by the services that write studies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Prefetch

from studienav.registry.icd10 import icd10_name
from studienav.registry.models import RECRUITING_STATUSES, Site, SiteStatus, Study
from studienav.registry.selectors import studies_public
from studienav.search.models import SearchEntry, SearchSite, SearchText
from studienav.search.text import fold, icd10_token

NO_START = dt.date(9999, 12, 31)
_RECRUITING_SITE = (SiteStatus.RECRUITING, SiteStatus.BY_INVITATION)
_BATCH = 1000


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _padded(text: str) -> str:
    # Padding lets a pattern anchor on a word start (`% word%`) at either end of the text.
    return f" {text} " if text else ""


def _entry_rows(study: Study) -> tuple[SearchEntry, SearchText, list[SearchSite]]:
    sites = list(study.sites.all())
    condition_parts: list[str] = []
    for condition in study.conditions.all():
        condition_parts.append(condition.name)
        if condition.icd10:
            condition_parts.extend([icd10_token(condition.icd10), icd10_name(condition.icd10)])
            if "." in condition.icd10:
                condition_parts.append(icd10_token(condition.icd10.split(".")[0]))
    site_parts: list[str] = []
    region_codes: set[str] = set()
    for site in sites:
        org = site.organisation
        site_parts.extend([org.name, org.name_en, org.city])
        if site.region is not None:
            site_parts.extend([site.region.name, site.region.short_name])
            region_codes.add(site.region.code)
        if org.municipality is not None:
            site_parts.append(org.municipality.name)
    if not region_codes and study.lead_region is not None:
        region_codes.add(study.lead_region.code)
    titles = fold(" ".join([study.public_title, study.public_title_en, study.acronym]))
    conditions = fold(" ".join(condition_parts))
    document = fold(
        " ".join(
            [
                study.public_title,
                study.public_title_en,
                study.acronym,
                study.scientific_title,
                study.summary_sv,
                study.summary_en,
                " ".join(str(k) for k in study.keywords or []),
                " ".join(i.name for i in study.interventions.all()),
                study.primary_sponsor_name,
                conditions,
                " ".join(site_parts),
            ]
        )
    )
    entry = SearchEntry(
        study_id=study.pk,
        title=_padded(titles),
        status=study.overall_status,
        is_recruiting=study.overall_status in RECRUITING_STATUSES,
        phase=study.phase,
        study_type=study.study_type,
        sponsor_type=study.sponsor_type,
        therapeutic_area=study.therapeutic_area,
        in_hospital_care=study.in_hospital_care,
        in_primary_care=study.in_primary_care,
        in_dental_care=study.in_dental_care,
        min_age=study.min_age_years,
        max_age=study.max_age_years,
        sex=study.sex,
        healthy_volunteers=study.healthy_volunteers,
        updated_at=study.updated_at,
        start_on=study.actual_start_date or study.planned_start_date or NO_START,
        region_codes=" ".join(sorted(region_codes)),
    )
    site_rows: list[SearchSite] = [
        SearchSite(
            entry_id=study.pk,
            organisation_id=site.organisation_id,
            region_code=site.region.code if site.region is not None else "",
            latitude=site.organisation.latitude,
            longitude=site.organisation.longitude,
            is_recruiting=site.recruitment_status in _RECRUITING_SITE,
        )
        for site in sites
    ]
    text = SearchText(entry_id=study.pk, document=_padded(document), conditions=_padded(conditions))
    return entry, text, site_rows


def _studies(ids: Iterable[int] | None = None) -> Iterable[Study]:
    query = studies_public().select_related("lead_region")
    if ids is not None:
        query = query.filter(pk__in=list(ids))
    return query.prefetch_related(
        "conditions",
        "interventions",
        Prefetch(
            "sites",
            Site.objects.select_related(
                "organisation", "organisation__municipality", "region"
            ).order_by("id"),
        ),
    ).order_by("pk")


def _write(studies: list[Study], removed: list[int]) -> int:
    built = [_entry_rows(study) for study in studies]
    ids = [study.pk for study in studies] + removed
    SearchSite.objects.filter(entry_id__in=ids).delete()
    SearchText.objects.filter(entry_id__in=ids).delete()
    SearchEntry.objects.filter(study_id__in=ids).delete()
    SearchEntry.objects.bulk_create([entry for entry, _text, _sites in built])
    SearchText.objects.bulk_create([text for _entry, text, _sites in built])
    SearchSite.objects.bulk_create([site for _entry, _text, sites in built for site in sites])
    if _is_sqlite():
        with connection.cursor() as cursor:
            cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", [(pk,) for pk in ids])
            cursor.executemany(
                "INSERT INTO search_fts (rowid, document) VALUES (%s, %s)",
                [(text.entry_id, text.document) for _entry, text, _sites in built],
            )
    return len(built)


@transaction.atomic
def search_index_study(study_id: int) -> None:
    """Bring one study's index entry up to date (removed when the study is not public)."""
    search_index_studies([study_id])


@transaction.atomic
def search_index_loaded(studies: list[Study]) -> None:
    """Index public studies whose sites (with organisation, municipality and region),
    conditions and interventions the caller already holds as prefetched relations."""
    _write([study for study in studies if study.is_public], [])


@transaction.atomic
def search_index_studies(study_ids: Iterable[int]) -> None:
    """Bring many studies' entries up to date in one pass (bulk imports)."""
    ids = list(study_ids)
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        studies = list(_studies(chunk))
        found = {study.pk for study in studies}
        _write(studies, [pk for pk in chunk if pk not in found])


@transaction.atomic
def search_reindex() -> int:
    """Rebuild the whole index; returns the number of studies indexed."""
    SearchSite.objects.all().delete()
    SearchText.objects.all().delete()
    SearchEntry.objects.all().delete()
    if _is_sqlite():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts")
    ids = list(studies_public().order_by("pk").values_list("pk", flat=True))
    count = 0
    for start in range(0, len(ids), _BATCH):
        count += _write(list(_studies(ids[start : start + _BATCH])), [])
    return count
