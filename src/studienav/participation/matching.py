"""Suggest recruiting public studies for a registration of interest, ranked by fit.

Fit, in order of weight:
1. conditions: the person's words, widened with Swedish and English synonyms from the condition
   vocabulary (ICD-10 codes too), found in the study's conditions and keywords;
2. age: the age the person reaches this year must lie within the study's age range;
3. sex: a study for one sex only is left out for the other (unknown sex is not left out);
4. distance: kilometres from the person's municipality to the study's nearest recruiting site.

Age and sex exclude; conditions and distance rank. With no conditions given, studies that
accept healthy volunteers are suggested. With regions of interest chosen, only studies with a
recruiting site in one of them.

The conditions are matched by keys (`studienav.search.conditions`): the search index holds,
per study, the keys its conditions and keywords stand for (rows of `SearchCondition`), and a
person's conditions become keys to look up. One indexed query finds the studies sharing a key
that recruit and fit age and sex; distances are computed only for those.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from studienav.core.bulk import ids_subquery
from studienav.core.models import Organisation
from studienav.participation.models import ExpressionOfInterest
from studienav.registry.models import RECRUITING_STATUSES, Site, SiteStatus, Study
from studienav.registry.selectors import studies_public
from studienav.search.conditions import PREFIX_END, ConditionKeys, condition_keys
from studienav.search.models import SearchCondition, SearchEntry, SearchSite

RECRUITING_SITE_STATUSES = (SiteStatus.RECRUITING, SiteStatus.BY_INVITATION)


@dataclass(frozen=True)
class Match:
    study: Study
    score: float
    matched_conditions: tuple[str, ...]
    distance_km: float | None
    nearest_site: Site | None


def _keys_filter(wanted: Sequence[ConditionKeys]) -> Q:
    query = Q(key__in=sorted({key for c in wanted for key in c.exact}))
    for prefix in {c.prefix for c in wanted if c.prefix}:
        query |= Q(key__gte=prefix, key__lt=prefix + PREFIX_END)
    return query


# ---------------------------------------------------------------- places


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


# ---------------------------------------------------------------- matching


@dataclass(frozen=True)
class Person:
    """What matching needs of a registration."""

    conditions: list[ConditionKeys]
    # Conditions were given, even if none of them folds to a word: then nothing matches.
    asks_conditions: bool
    age: int | None
    sex: str
    region_codes: frozenset[str]
    origin: tuple[float, float] | None = None


def _age(year_of_birth: int | None) -> int | None:
    return timezone.localdate().year - year_of_birth if year_of_birth else None


def _person(interest: ExpressionOfInterest) -> Person:
    municipality = interest.municipality
    given = [c for c in interest.conditions or [] if isinstance(c, str) and c.strip()]
    return Person(
        conditions=condition_keys(given),
        asks_conditions=bool(given),
        age=_age(interest.year_of_birth),
        sex=interest.sex,
        region_codes=frozenset(r.code for r in interest.regions_of_interest.all())
        if interest.pk
        else frozenset(),
        origin=(municipality.latitude, municipality.longitude) if municipality else None,
    )


def _fits(person: Person, through: str = "") -> Q:
    """Entries of recruiting public studies whose age range and sex admit the person."""
    query = Q(**{f"{through}is_recruiting": True})
    if person.age is not None:
        query &= Q(**{f"{through}min_age__isnull": True}) | Q(
            **{f"{through}min_age__lte": person.age}
        )
        query &= Q(**{f"{through}max_age__isnull": True}) | Q(
            **{f"{through}max_age__gte": person.age}
        )
    if person.sex:
        query &= Q(**{f"{through}sex__in": ["", "all", person.sex]})
    return query


def _candidates(person: Person) -> dict[int, tuple[str, ...]]:
    """Entry id -> the person's conditions found in it (empty for healthy-volunteer studies)."""
    if not person.asks_conditions:
        ids = SearchEntry.objects.filter(_fits(person), healthy_volunteers=True).values_list(
            "study_id", flat=True
        )
        return dict.fromkeys(ids, ())
    if not person.conditions:
        return {}
    # The entry's fit is repeated in the condition rows: the index answers alone.
    found = _conditions_found(person, SearchCondition.objects.filter(_fits(person)))
    names = [c.condition for c in person.conditions]
    return {entry_id: tuple(names[i] for i in sorted(at)) for entry_id, at in found.items()}


def _conditions_found(person: Person, rows: QuerySet[SearchCondition]) -> dict[int, set[int]]:
    """Entry id -> positions of the person's conditions found among the rows' keys."""
    found: dict[int, set[int]] = defaultdict(set)
    positions: dict[str, list[int]] = {}  # a key recurs in thousands of studies
    keyed = rows.filter(_keys_filter(person.conditions)).values_list("entry_id", "key")
    for entry_id, key in keyed:
        at = positions.get(key)
        if at is None:
            at = positions[key] = [i for i, c in enumerate(person.conditions) if c.found_in(key)]
        found[entry_id].update(at)
    return {entry_id: at for entry_id, at in found.items() if at}


def _recruiting_sites(entry_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Entry id -> (organisation id, region code) of its recruiting sites."""
    sites: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not entry_ids:
        return sites
    rows = SearchSite.objects.filter(
        entry_id__in=ids_subquery(entry_ids), is_recruiting=True
    ).values_list("entry_id", "organisation_id", "region_code")
    for entry_id, organisation_id, region_code in rows:
        sites[entry_id].append((organisation_id, region_code))
    return sites


def _organisation_km(origin: tuple[float, float] | None) -> dict[int, float]:
    """Kilometres from origin to each organisation with a place (its own, else its
    municipality's), as `site_coordinates` has it."""
    if origin is None:
        return {}
    rows = Organisation.objects.values_list(
        "pk", "latitude", "longitude", "municipality__latitude", "municipality__longitude"
    )
    km = {}
    for pk, lat, lon, place_lat, place_lon in rows:
        if lat is not None and lon is not None:
            km[pk] = haversine_km(*origin, lat, lon)
        elif place_lat is not None and place_lon is not None:
            km[pk] = haversine_km(*origin, place_lat, place_lon)
    return km


def _score(matched: int, km: float | None) -> float:
    # Each matched condition outweighs any distance; nearer ranks higher among equals.
    return round(100.0 * matched + (50.0 / (1.0 + km / 50.0) if km is not None else 0.0), 2)


Ranked = list[tuple[float, int, float | None]]  # (score, study id, km to the nearest site)


def _in_regions(person: Person, entry_ids: Iterable[int]) -> set[int]:
    """Those of the entries with a recruiting site in one of the person's regions of interest."""
    ids = list(entry_ids)
    if not person.region_codes or not ids:
        return set(ids)
    return set(
        SearchSite.objects.filter(
            entry_id__in=ids_subquery(ids), is_recruiting=True, region_code__in=person.region_codes
        ).values_list("entry_id", flat=True)
    )


# A condition whose keys occur in more studies than this is looked up nearest first.
BROAD = 30_000


def _broad(person: Person) -> bool:
    """The person's one condition is common: walking the nearest organisations finds the best
    studies sooner than ranking every study that has it."""
    if len(person.conditions) != 1:
        return False
    rows = SearchCondition.objects.filter(_keys_filter(person.conditions)).values("pk")
    return rows[BROAD : BROAD + 1].exists()


def _with_conditions(person: Person, entry_ids: Iterable[int]) -> dict[int, int]:
    """Those of the entries that have one of the person's conditions, with how many."""
    ids = list(entry_ids)
    if not person.conditions:
        return dict.fromkeys(ids, 0)  # healthy volunteers: no condition to find
    if not ids:
        return {}
    rows = SearchCondition.objects.filter(entry_id__in=ids_subquery(ids))
    return {entry_id: len(at) for entry_id, at in _conditions_found(person, rows).items()}


def _nearest(person: Person, km_of: dict[int, float], limit: int) -> Ranked | None:
    """The best studies for a person with no condition (healthy volunteers) or one common
    condition, found by walking organisations nearest first (there are many such studies, and
    few organisations); None when the walk runs out before it can tell."""
    order = sorted((km, pk) for pk, km in km_of.items())
    fits = _fits(person, "entry__") & Q(is_recruiting=True)
    if not person.asks_conditions:
        fits &= Q(entry__healthy_volunteers=True)
    most = len(person.conditions)  # conditions a study not found yet can have, at most
    nearest: dict[int, tuple[int, float]] = {}
    start, size = 0, 2
    while start < len(order):
        batch = order[start : start + size]
        start, size = start + size, size * 2
        rows = SearchSite.objects.filter(
            fits, organisation_id__in=[pk for _km, pk in batch]
        ).values_list("entry_id", "organisation_id")
        found: dict[int, float] = {}
        for entry_id, organisation_id in rows:
            if entry_id not in nearest:
                km = km_of[organisation_id]
                found[entry_id] = min(km, found.get(entry_id, km))
        matched = _with_conditions(person, _in_regions(person, found))
        for entry_id, count in matched.items():
            nearest[entry_id] = (count, found[entry_id])
        # Studies not found yet are at least as far as this batch's farthest organisation.
        threshold = _score(most, batch[-1][0])
        ranked: Ranked = sorted(
            ((_score(count, km), pk, km) for pk, (count, km) in nearest.items()), key=_rank
        )
        if len(ranked) >= limit and ranked[limit - 1][0] > threshold:
            return ranked[:limit]
    return None


def _rank(row: tuple[float, int, float | None]) -> tuple[float, int]:
    return -row[0], row[1]


def _ranked(person: Person, limit: int) -> tuple[Ranked, dict[int, tuple[str, ...]]]:
    """The best `limit` studies for the person, and the conditions found in each."""
    km_of = _organisation_km(person.origin)
    if km_of and (not person.asks_conditions or _broad(person)):
        walked = _nearest(person, km_of, limit)
        if walked is not None:
            names = tuple(c.condition for c in person.conditions)
            return walked, {pk: names for _score, pk, _km in walked}
    candidates = _candidates(person)
    if person.asks_conditions:
        candidates = {pk: found for pk, found in candidates.items() if found}
    sites = _recruiting_sites(sorted(candidates))
    if person.region_codes:
        candidates = {
            pk: found
            for pk, found in candidates.items()
            if any(region in person.region_codes for _o, region in sites.get(pk, ()))
        }
    ranked: Ranked = []
    for pk, found in candidates.items():
        distances = [km_of[o] for o, _r in sites.get(pk, ()) if o in km_of]
        best = min(distances) if distances else None
        ranked.append((_score(len(found), best), pk, best))
    ranked.sort(key=_rank)
    return ranked[:limit], candidates


def interest_match(*, interest: ExpressionOfInterest, limit: int = 20) -> list[Match]:
    """Recruiting public studies for a registration, best fit first (see the module docstring)."""
    person = _person(interest)
    top, found = _ranked(person, limit)
    studies = recruiting_studies().in_bulk([pk for _s, pk, _km in top])
    matches = []
    for score, pk, _km in top:
        study = studies.get(pk)
        if study is None:  # the index lags a change made in this very moment
            continue
        site, km = nearest_site(study.sites.all(), person.origin)
        matches.append(Match(study, score, found[pk], km, site))
    return matches


def interests_matching_study(
    *, study_id: int, interests: QuerySet[ExpressionOfInterest]
) -> list[int]:
    """Ids of the given registrations that the study suits, in id order (re-matching on publish).

    The study's keys are a handful; each distinct condition people wrote is compared with them
    once, so a pass over 100,000 registrations reads narrow rows and decrypts nothing.
    """
    entry = SearchEntry.objects.filter(study_id=study_id, is_recruiting=True).first()
    if entry is None:
        return []
    keys = set(SearchCondition.objects.filter(entry=entry).values_list("key", flat=True))
    regions = set(
        SearchSite.objects.filter(entry=entry, is_recruiting=True).values_list(
            "region_code", flat=True
        )
    )
    found_cache: dict[str, bool] = {}

    def found(condition: str) -> bool:
        hit = found_cache.get(condition)
        if hit is None:
            wanted = condition_keys([condition])
            hit = found_cache[condition] = bool(wanted) and any(
                wanted[0].found_in(key) for key in keys
            )
        return hit

    regions_of: dict[int, set[str]] = defaultdict(set)
    through = ExpressionOfInterest.regions_of_interest.through.objects.filter(
        expressionofinterest__in=interests
    ).values_list("expressionofinterest_id", "region__code")
    for interest_id, code in through:
        regions_of[interest_id].add(code)

    today_year = timezone.localdate().year
    out = []
    rows = interests.order_by("pk").values_list("pk", "conditions", "year_of_birth", "sex")
    for pk, conditions, year_of_birth, sex in rows.iterator(chunk_size=5000):
        age = today_year - year_of_birth if year_of_birth else None
        if age is not None and (
            (entry.min_age is not None and age < entry.min_age)
            or (entry.max_age is not None and age > entry.max_age)
        ):
            continue
        if sex and entry.sex not in ("", "all", sex):
            continue
        if pk in regions_of and not regions_of[pk] & regions:
            continue
        wanted = [c for c in conditions or [] if isinstance(c, str) and c.strip()]
        if wanted:
            if not any(found(c) for c in wanted):
                continue
        elif not entry.healthy_volunteers:
            continue
        out.append(pk)
    return out
