"""Reads behind the API and FHIR: a study by any identifier, regions by code or name."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Prefetch, QuerySet
from django.http import Http404

from studienav.core.models import Region
from studienav.core.places import fold
from studienav.registry.identifiers import recognise
from studienav.registry.models import Site, Study, StudyIdentifier
from studienav.registry.selectors import studies_public
from studienav.search.models import SearchEntry

STUDY_PREFETCH = (
    "identifiers",
    "conditions",
    "interventions",
    Prefetch("sites", Site.objects.select_related("organisation").order_by("id")),
)


def _region_key(name: str) -> str:
    """A region name without the words that say it is a region: 'Region Örebro län' -> 'orebro'."""
    words = [w for w in name.split() if fold(w) not in _REGION_WORDS]
    return fold(" ".join(words))


_REGION_WORDS = {"region", "regionen", "lan", "county", "landsting", "landstinget"}


def region_by_code_or_name(text: str) -> Region | None:
    """`03`, `Uppsala`, `Region Uppsala` or `Örebro län` -> the region; None if unknown."""
    text = text.strip()
    regions = list(Region.objects.all())
    for region in regions:
        if text == region.code:
            return region
    wanted = _region_key(text)
    if not wanted:
        return None
    for region in regions:
        names = (region.name, region.short_name, region.name_en)
        if wanted in {_region_key(name) for name in names}:
            return region
    return None


def region_choices() -> list[str]:
    """The codes and short names a region parameter accepts, for error messages."""
    return [f"{code} ({name})" for code, name in Region.objects.values_list("code", "short_name")]


def study_public_by_key(key: str) -> tuple[Study, bool]:
    """A published study by our id or any identifier; (study, True) when `key` named a
    duplicate merged into it. Raises Http404 when no public study answers to the key."""
    key = key.strip()
    if not key or "\x00" in key:
        raise Http404(key)
    study: Study | None = None
    if key.isdigit() and len(key) < 19:
        study = Study.objects.select_related("merged_into").filter(pk=int(key)).first()
    else:
        recognised = recognise(key)
        owners = StudyIdentifier.objects.select_related("study__merged_into")
        found = (
            owners.filter(scheme=recognised[0], value=recognised[1]).first()
            if recognised
            else owners.filter(value=key).first()
        )
        study = found.study if found else None
    if study is None:
        raise Http404(key)
    merged = False
    while study.merged_into is not None:
        study = study.merged_into
        merged = True
    if not studies_public().filter(pk=study.pk).exists():
        raise Http404(key)
    return study, merged


def studies_with_details(studies: QuerySet[Study]) -> QuerySet[Study]:
    return studies.prefetch_related(*STUDY_PREFETCH)


def public_studies_last_change() -> dt.datetime | None:
    """When a public study last changed: the search index holds each with its last change,
    indexed by it, so this is one index step (the studies' table would be a scan)."""
    latest: dt.datetime | None = SearchEntry.objects.aggregate(latest=Max("updated_at"))["latest"]
    return latest
