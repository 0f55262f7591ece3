"""Suggest recruiting public studies for a registration of interest, ranked by fit.

Fit, in order of weight:
1. conditions: the person's words, widened with Swedish and English synonyms from
   `registry/data/conditions.csv` (ICD-10 codes too), found in the study's conditions and keywords;
2. age: the age the person reaches this year must lie within the study's age range;
3. sex: a study for one sex only is left out for the other (unknown sex is not left out);
4. distance: kilometres from the person's municipality to the study's nearest recruiting site.

Age and sex exclude; conditions and distance rank. With no conditions given, studies that
accept healthy volunteers are suggested. With regions of interest chosen, only studies with a
recruiting site in one of them.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from studienav.core.places import fold
from studienav.participation.models import ExpressionOfInterest
from studienav.registry.models import RECRUITING_STATUSES, Site, SiteStatus, Study
from studienav.registry.selectors import studies_public

CONDITIONS_CSV = Path(__file__).resolve().parent.parent / "registry" / "data" / "conditions.csv"
MIN_CONTAINED = 4  # shorter words match only exactly ("ms" must not match "chromosome")

_FALLBACK = [
    ("E11", "typ 2-diabetes", "type 2 diabetes", "diabetes;diabetes mellitus typ 2", "diabetes"),
    ("I10", "högt blodtryck", "hypertension", "hypertoni", "high blood pressure"),
    ("C50", "bröstcancer", "breast cancer", "", "breast carcinoma"),
    ("J45", "astma", "asthma", "", ""),
    ("F32", "depression", "depression", "nedstämdhet", "depressive episode"),
    ("G35", "multipel skleros", "multiple sclerosis", "ms", "ms"),
    ("I48", "förmaksflimmer", "atrial fibrillation", "flimmer", "af"),
    ("M06", "reumatoid artrit", "rheumatoid arthritis", "ledgångsreumatism", "ra"),
]

RECRUITING_SITE_STATUSES = (SiteStatus.RECRUITING, SiteStatus.BY_INVITATION)


@dataclass(frozen=True)
class Match:
    study: Study
    score: float
    matched_conditions: tuple[str, ...]
    distance_km: float | None
    nearest_site: Site | None


@cache
def synonym_groups() -> tuple[tuple[str, frozenset[str]], ...]:
    """(ICD-10 code, folded names and synonyms in both languages) per condition."""
    rows: list[tuple[str, str, str, str, str]] = []
    if CONDITIONS_CSV.exists():
        with CONDITIONS_CSV.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows.append(
                    (
                        row.get("icd10") or "",
                        row.get("name_sv") or "",
                        row.get("name_en") or "",
                        row.get("synonyms_sv") or "",
                        row.get("synonyms_en") or "",
                    )
                )
    else:
        rows = list(_FALLBACK)
    groups = []
    for code, name_sv, name_en, syn_sv, syn_en in rows:
        words = [name_sv, name_en, *syn_sv.split(";"), *syn_en.split(";")]
        terms = frozenset(fold(w) for w in words if fold(w))
        groups.append((code.strip().upper(), terms))
    return tuple(groups)


@cache
def _term_index() -> dict[str, tuple[int, ...]]:
    index: dict[str, list[int]] = defaultdict(list)
    for position, (_code, terms) in enumerate(synonym_groups()):
        for term in terms:
            index[term].append(position)
    return {k: tuple(v) for k, v in index.items()}


def _contains(a: str, b: str) -> bool:
    if a == b:
        return True
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return len(shorter) >= MIN_CONTAINED and shorter in longer


def condition_terms(condition: str) -> tuple[frozenset[str], frozenset[str]]:
    """The folded words and 3-character ICD-10 codes a condition stands for, with synonyms."""
    folded = fold(condition)
    if not folded:
        return frozenset(), frozenset()
    groups = synonym_groups()
    found = set(_term_index().get(folded, ()))
    if not found and len(folded) >= MIN_CONTAINED:
        found = {i for i, (_c, terms) in enumerate(groups) if any(folded in t for t in terms)}
    terms = {folded}
    codes = set()
    for position in found:
        code, group_terms = groups[position]
        terms |= group_terms
        if code:
            codes.add(code[:3])
    return frozenset(terms), frozenset(codes)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    radius = 6371.0
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = math.radians(lat2 - lat1)
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def site_coordinates(site: Site) -> tuple[float, float] | None:
    organisation = site.organisation
    if organisation.latitude is not None and organisation.longitude is not None:
        return organisation.latitude, organisation.longitude
    if organisation.municipality is not None:
        return organisation.municipality.latitude, organisation.municipality.longitude
    return None


def nearest_site(
    sites: Iterable[Site], origin: tuple[float, float] | None
) -> tuple[Site | None, float | None]:
    """The recruiting site closest to origin (the first recruiting one when distance is unknown)."""
    best: Site | None = None
    best_km: float | None = None
    for site in sites:
        if site.recruitment_status not in RECRUITING_SITE_STATUSES:
            continue
        where = site_coordinates(site)
        km = haversine_km(*origin, *where) if origin and where else None
        if best is None or (km is not None and (best_km is None or km < best_km)):
            best, best_km = site, km
    return best, best_km


def recruiting_studies() -> QuerySet[Study]:
    """Public studies that recruit, with their sites and conditions loaded."""
    return (
        studies_public()
        .filter(overall_status__in=RECRUITING_STATUSES)
        .prefetch_related(
            "conditions",
            Prefetch(
                "sites",
                queryset=Site.objects.select_related("organisation__municipality"),
            ),
        )
    )


def _age_fits(study: Study, age: int | None) -> bool:
    if age is None:
        return True
    if study.min_age_years is not None and age < study.min_age_years:
        return False
    return not (study.max_age_years is not None and age > study.max_age_years)


def _sex_fits(study: Study, sex: str) -> bool:
    return not sex or study.sex in ("", "all", sex)


def interest_match(
    *,
    interest: ExpressionOfInterest,
    studies: Iterable[Study] | None = None,
    limit: int = 20,
) -> list[Match]:
    """Recruiting public studies for a registration, best fit first (see the module docstring)."""
    wanted = [condition_terms(c) for c in interest.conditions or [] if c.strip()]
    age = timezone.localdate().year - interest.year_of_birth if interest.year_of_birth else None
    origin = (
        (interest.municipality.latitude, interest.municipality.longitude)
        if interest.municipality
        else None
    )
    region_ids = {r.pk for r in interest.regions_of_interest.all()} if interest.pk else set()
    candidates = studies if studies is not None else recruiting_studies()
    matches: list[Match] = []
    for study in candidates:
        if not _age_fits(study, age) or not _sex_fits(study, interest.sex):
            continue
        sites = list(study.sites.all())
        if region_ids and not any(
            s.region_id in region_ids and s.recruitment_status in RECRUITING_SITE_STATUSES
            for s in sites
        ):
            continue
        matched: list[str] = []
        if wanted:
            study_texts = [fold(c.name) for c in study.conditions.all()]
            study_texts += [fold(k) for k in study.keywords or [] if isinstance(k, str)]
            study_codes = {c.icd10.upper()[:3] for c in study.conditions.all() if c.icd10}
            for original, (terms, codes) in zip(interest.conditions, wanted, strict=False):
                if codes & study_codes or any(
                    _contains(t, s) for t in terms for s in study_texts if s
                ):
                    matched.append(original)
            if not matched:
                continue
        elif not study.healthy_volunteers:
            continue
        site, km = nearest_site(sites, origin)
        # Each matched condition outweighs any distance; nearer ranks higher among equals.
        score = 100.0 * len(matched) + (50.0 / (1.0 + km / 50.0) if km is not None else 0.0)
        matches.append(Match(study, round(score, 2), tuple(matched), km, site))
    matches.sort(key=lambda m: (-m.score, m.study.pk))
    return matches[:limit]
