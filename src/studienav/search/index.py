"""Keeping the search index in step with the registry: called by the services that write studies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from studienav.core.bulk import ids_subquery, planner_statistics_refresh, rows_insert
from studienav.registry.icd10 import icd10_name
from studienav.registry.models import RECRUITING_STATUSES, SiteStatus, Study
from studienav.registry.schema import StudyRecord
from studienav.registry.selectors import sites_attached, studies_public
from studienav.search.answers import search_changed
from studienav.search.conditions import study_condition_keys
from studienav.search.models import (
    SearchCondition,
    SearchEntry,
    SearchSite,
    SearchText,
    SearchWord,
)
from studienav.search.text import fold, icd10_token
from studienav.search.words import words_coded

NO_START = dt.date(9999, 12, 31)
_RECRUITING_SITE = (SiteStatus.RECRUITING, SiteStatus.BY_INVITATION)
_BATCH = 1000


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _padded(text: str) -> str:
    # Padding lets a pattern anchor on a word start (`% word%`) at either end of the text.
    return f" {text} " if text else ""


# Rows as plain tuples in these fields' order, written with one executemany each (core.bulk):
# the index is written for every study an import creates, so it must cost little.
ENTRY_FIELDS = (
    "study",
    "title",
    "status",
    "is_recruiting",
    "phase",
    "study_type",
    "sponsor_type",
    "therapeutic_area",
    "in_hospital_care",
    "in_primary_care",
    "in_dental_care",
    "min_age",
    "max_age",
    "sex",
    "healthy_volunteers",
    "updated_at",
    "start_on",
    "region_codes",
    "words",
)
TEXT_FIELDS = ("entry", "document", "places", "conditions", "tags")

# Beside its document, an entry's row in `search_fts` (SQLite) holds tags: three-character
# terms that no folded text can hold (they start with `#`), one for the study's status and one
# for each region of its sites (the entry's `region_codes`). A search filtering on status or
# region adds them to its MATCH, so the text index itself narrows the matches instead of
# each of them being looked up in the entries (`cancer` matches 31,000 of 400,000 studies,
# 3,000 of them recruiting in one region). The tags only narrow: the entries' own columns
# still decide. A change of the tags needs the text index rebuilt (a migration). On
# PostgreSQL the entry's word codes hold tags of the same form (`words_tags`), and a change
# of them needs `search-reindex`.
STATUS_TAGS: dict[str, str] = {
    "not_yet_recruiting": "#ny",
    "recruiting": "#rc",
    "enrolling_by_invitation": "#bi",
    "active_not_recruiting": "#an",
    "suspended": "#su",
    "terminated": "#te",
    "completed": "#co",
    "withdrawn": "#wd",
    "unknown": "#un",
}


def region_tag(code: str) -> str:
    return f"#{code}"


def fts_tags(status: str, region_codes: str) -> str:
    """The tags of an entry: its status's and its regions' (`region_codes`, space-separated)."""
    tags = [STATUS_TAGS.get(status, "#??"), *(region_tag(c) for c in region_codes.split())]
    return " ".join(tags)


def words_tags(status: str, site_regions: Iterable[str]) -> str:
    """The tags among an entry's word codes on PostgreSQL (`search.words`): its status's and
    its sites' regions'. Not `fts_tags`, which counts the lead region of a study without
    sites: these are exactly what the region filter asks of the sites."""
    return fts_tags(status, " ".join(sorted({code for code in site_regions if code})))


def search_words_fill(batch: int = 5000) -> int:
    """PostgreSQL: write the word codes of every entry from its texts, status and sites (after
    a migration adds them); returns how many entries were written."""
    done, last = 0, -1
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT e.study_id, t.document, t.places, e.status, "
                "ARRAY(SELECT s.region_code FROM search_searchsite s "
                "WHERE s.entry_id = e.study_id) "
                "FROM search_searchentry e JOIN search_searchtext t ON t.entry_id = e.study_id "
                "WHERE e.study_id > %s ORDER BY e.study_id LIMIT %s",
                [last, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                return done
            coded = words_coded(
                [
                    (doc, places, words_tags(status, regions))
                    for _i, doc, places, status, regions in rows
                ]
            )
            cursor.execute(
                "UPDATE search_searchentry e SET words = v.words "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, words) WHERE e.study_id = v.id",
                [[row[0] for row in rows], coded],
            )
            done += len(rows)
            last = rows[-1][0]


SITE_FIELDS = ("entry", "organisation_id", "region_code", "latitude", "longitude", "is_recruiting")
CONDITION_FIELDS = ("entry", "key", "is_recruiting", "min_age", "max_age", "sex")
Row = tuple[Any, ...]
Rows = tuple[Row, Row, list[Row], list[Row]]


@dataclass(frozen=True)
class StudyText:
    """What the index keeps of a study's own texts, folded: the part of its entry that needs
    no database, so that an import can build it in its reading process (importers._ahead)."""

    titles: str
    conditions: str
    document: str  # without the sites: the index keeps their places apart
    keys: tuple[str, ...]


def study_text(
    study: Study | StudyRecord, *, interventions: list[str], conditions: list[tuple[str, str]]
) -> StudyText:
    """The folded texts of a study, or of a record of one (the same names): titles, summaries,
    keywords, interventions, sponsor and conditions (name, ICD-10 code)."""
    keywords = list(study.keywords or [])
    titles = [study.public_title, study.public_title_en, study.acronym]
    condition_parts: list[str] = []
    for name, code in conditions:
        condition_parts.append(name)
        if code:
            condition_parts.extend([icd10_token(code), icd10_name(code)])
            if "." in code:
                condition_parts.append(icd10_token(code.split(".")[0]))
    folded_conditions = fold(" ".join(condition_parts))
    parts = [
        *titles,
        study.scientific_title,
        study.summary_sv,
        study.summary_en,
        " ".join(str(k) for k in keywords),
        " ".join(interventions),
        study.primary_sponsor_name,
    ]
    document = " ".join(part for part in (fold(" ".join(parts)), folded_conditions) if part)
    keys = study_condition_keys(
        names=[name for name, _code in conditions],
        codes=[code for _name, code in conditions if code],
        keywords=[k for k in keywords if isinstance(k, str)],
    )
    return StudyText(fold(" ".join(titles)), folded_conditions, document, tuple(sorted(keys)))


def _entry_rows(study: Study, text: StudyText | None = None) -> Rows:
    sites = list(study.sites.all())
    text = text or study_text(
        study,
        interventions=[i.name for i in study.interventions.all()],
        conditions=[(c.name, c.icd10) for c in study.conditions.all()],
    )
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
    places = fold(" ".join(site_parts))
    entry = (
        study.pk,
        _padded(text.titles),
        study.overall_status,
        study.overall_status in RECRUITING_STATUSES,
        study.phase,
        study.study_type,
        study.sponsor_type,
        study.therapeutic_area,
        study.in_hospital_care,
        study.in_primary_care,
        study.in_dental_care,
        study.min_age_years,
        study.max_age_years,
        study.sex,
        study.healthy_volunteers,
        study.updated_at,
        study.actual_start_date or study.planned_start_date or NO_START,
        " ".join(sorted(region_codes)),
        "",  # the word codes: PostgreSQL's, written by `_write` (`search.words`)
    )
    site_rows = [
        (
            study.pk,
            site.organisation_id,
            site.region.code if site.region is not None else "",
            site.organisation.latitude,
            site.organisation.longitude,
            site.recruitment_status in _RECRUITING_SITE,
        )
        for site in sites
    ]
    text_row = (
        study.pk,
        _padded(text.document),
        _padded(places),
        _padded(text.conditions),
        fts_tags(entry[2], entry[-2]),
    )
    named = dict(zip(ENTRY_FIELDS, entry, strict=True))
    fits = [named[field] for field in CONDITION_FIELDS[2:]]  # the entry's, repeated
    condition_rows = [(study.pk, key, *fits) for key in text.keys]
    return entry, text_row, site_rows, condition_rows


def _studies(ids: Iterable[int] | None = None) -> list[Study]:
    """Public studies with what their entries need: conditions, interventions and sites (with
    organisation, municipality and region)."""
    query = studies_public().select_related("lead_region")
    if ids is not None:
        query = query.filter(pk__in=ids_subquery(ids))
    studies = list(query.prefetch_related("conditions", "interventions").order_by("pk"))
    sites_attached(studies, "organisation", "organisation__municipality", "region")
    return studies


def _write(
    studies: list[Study],
    removed: list[int],
    texts: list[StudyText | None] | None = None,
    *,
    new: bool = False,
) -> int:
    """Replace the index rows of the studies (and drop those of `removed`); `new` when none
    of the studies can have rows yet (just created), which skips looking for them."""
    built = [
        _entry_rows(study, text)
        for study, text in zip(studies, texts or [None] * len(studies), strict=True)
    ]
    ids = [study.pk for study in studies] + removed
    search_changed()
    if not new:
        SearchCondition.objects.filter(entry_id__in=ids).delete()
        SearchSite.objects.filter(entry_id__in=ids).delete()
        SearchText.objects.filter(entry_id__in=ids).delete()
        SearchEntry.objects.filter(study_id__in=ids).delete()
    entries = [entry for entry, _text, _sites, _keys in built]
    if not _is_sqlite():
        coded = words_coded(
            [
                (text[1], text[2], words_tags(entry[2], [site[2] for site in sites]))
                for entry, text, sites, _keys in built
            ]
        )
        entries = [(*entry[:-1], words) for entry, words in zip(entries, coded, strict=True)]
    rows_insert(SearchEntry, ENTRY_FIELDS, entries)
    rows_insert(SearchText, TEXT_FIELDS, [text for _entry, text, _sites, _keys in built])
    rows_insert(
        SearchSite, SITE_FIELDS, [s for _entry, _text, sites, _keys in built for s in sites]
    )
    rows_insert(
        SearchCondition,
        CONDITION_FIELDS,
        [k for _entry, _text, _sites, keys in built for k in keys],
    )
    if _is_sqlite():
        with connection.cursor() as cursor:
            if not new:
                deleted = [(pk,) for pk in ids]
                cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", deleted)
                cursor.executemany("DELETE FROM search_places WHERE rowid = %s", deleted)
            cursor.executemany(
                "INSERT INTO search_fts (rowid, document, tags) VALUES (%s, %s, %s)",
                [(text[0], text[1], text[4]) for _entry, text, _sites, _keys in built],
            )
            cursor.executemany(
                "INSERT INTO search_places (rowid, places) VALUES (%s, %s)",
                [(text[0], text[2]) for _entry, text, _sites, _keys in built if text[2]],
            )
    return len(built)


@transaction.atomic
def search_index_study(study_id: int) -> None:
    """Bring one study's index entry up to date (removed when the study is not public)."""
    search_index_studies([study_id])


@transaction.atomic
def search_index_loaded(
    studies: list[Study], texts: list[StudyText] | None = None, *, new: bool = False
) -> None:
    """Index public studies whose sites (with organisation, municipality and region),
    conditions and interventions the caller already holds as prefetched relations, or whose
    texts it gives (`study_text`, one per study); `new` when they were created just now."""
    given: list[StudyText | None] = list(texts) if texts else [None] * len(studies)
    public = [(study, text) for study, text in zip(studies, given, strict=True) if study.is_public]
    _write([study for study, _text in public], [], [text for _study, text in public], new=new)


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
    SearchCondition.objects.all().delete()
    SearchSite.objects.all().delete()
    SearchText.objects.all().delete()
    SearchEntry.objects.all().delete()
    SearchWord.objects.all().delete()
    search_changed()
    if _is_sqlite():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts")
            cursor.execute("DELETE FROM search_places")
    ids = list(studies_public().order_by("pk").values_list("pk", flat=True))
    count = 0
    for start in range(0, len(ids), _BATCH):
        count += _write(list(_studies(ids[start : start + _BATCH])), [], new=True)
    search_statistics_refresh()
    return count


def search_statistics_refresh() -> None:
    """The query planner's statistics of the index tables, after many rows changed."""
    planner_statistics_refresh(SearchEntry, SearchSite, SearchCondition, SearchText, SearchWord)
