"""The one search over published studies behind the portal, the JSON API and FHIR.

`study_search(SearchParams)` matches text through `studienav.search.text` (the same LIKE
patterns on both databases), filters on the index's facet fields, ranks by relevance with
recruiting studies first on ties, counts facets with GROUP BY and pages with a signed keyset
cursor, so paging stays stable while studies are added or changed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.db.models import (
    Case,
    Exists,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression, RawSQL
from django.db.models.fields import IntegerField
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from studienav.core.bulk import ids_subquery
from studienav.core.errors import ValidationFailed
from studienav.core.models import Organisation, Region
from studienav.core.places import fold as fold_place
from studienav.registry.models import (
    CareSetting,
    OverallStatus,
    Phase,
    Sex,
    SponsorType,
    Study,
    StudyType,
    TherapeuticArea,
)
from studienav.registry.selectors import sites_attached, studies_public
from studienav.search.answers import answer_get, answer_keep, answer_key, answers_kept_seconds
from studienav.search.index import STATUS_TAGS, region_tag
from studienav.search.models import SearchEntry, SearchSite, SearchText
from studienav.search.places import Point, bounding_box, haversine_km, near_resolve
from studienav.search.text import Term, query_terms

SORTS = ("relevance", "updated", "distance", "start", "title")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
DEFAULT_RADIUS_KM = 100.0
MAX_RADIUS_KM = 2000.0
MAX_QUERY_LENGTH = 500
_CURSOR_SALT = "studienav.search.cursor"
_CARE_FIELDS = {
    CareSetting.HOSPITAL.value: "in_hospital_care",
    CareSetting.PRIMARY_CARE.value: "in_primary_care",
    CareSetting.DENTAL_CARE.value: "in_dental_care",
}
# Points a term earns by where it matches: in a title, elsewhere, or only with a typo.
_TITLE_POINTS, _TEXT_POINTS, _TYPO_POINTS = 3, 2, 1


class _Like(Lookup):
    """`field LIKE pattern` with the pattern's own wildcards (the text is folded ASCII)."""

    lookup_name = "like"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


for _model, _name in ((SearchEntry, "title"), (SearchText, "document"), (SearchText, "conditions")):
    _field = _model._meta.get_field(_name)
    assert isinstance(_field, models.Field)
    _field.register_lookup(_Like)


@dataclass
class SearchParams:
    """What a search asks for; every list is OR within itself and AND with the others."""

    q: str = ""
    conditions: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    sites: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    study_types: list[str] = field(default_factory=list)
    sponsor_types: list[str] = field(default_factory=list)
    care_settings: list[str] = field(default_factory=list)
    therapeutic_areas: list[str] = field(default_factory=list)
    age: int | None = None
    sex: str | None = None
    healthy_volunteers: bool | None = None
    near: str = ""
    radius_km: float | None = None
    updated_since: dt.datetime | None = None
    sort: str = "relevance"
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    facets: bool = False

    @classmethod
    def from_query(cls, query: QueryDict) -> SearchParams:
        """Parse a query string; raises ValidationFailed naming the parameter and valid values."""
        q = query.get("q", "").strip()
        if len(q) > MAX_QUERY_LENGTH:
            raise ValidationFailed(
                code="too_long",
                field="q",
                message=_("Search for at most %(count)s characters.") % {"count": MAX_QUERY_LENGTH},
            )
        near = query.get("near", "").strip()
        if near and near_resolve(near) is None:
            raise ValidationFailed(
                code="unknown_place",
                field="near",
                message=_(
                    "We do not know the place %(value)s. Give a municipality or locality "
                    "(Gävle), a postcode (751 85 or 751) or coordinates (59.86,17.64)."
                )
                % {"value": near[:60]},
            )
        sort = query.get("sort") or "relevance"
        _choices([sort], list(SORTS), "sort")
        if sort == "distance" and not near:
            raise ValidationFailed(
                code="distance_needs_near",
                field="sort",
                message=_("Sorting by distance needs a place: give near as well."),
            )
        sex = query.get("sex", "")
        params = cls(
            q=q,
            conditions=[c.strip() for c in query.getlist("condition") if c.strip()][:20],
            regions=_regions(query.getlist("region")),
            sites=[n for v in query.getlist("site") if (n := _int(v, "site", 1, 2**62))],
            statuses=_choices(query.getlist("status"), list(OverallStatus.values), "status"),
            phases=_choices(query.getlist("phase"), list(Phase.values), "phase"),
            study_types=_choices(query.getlist("study_type"), list(StudyType.values), "study_type"),
            sponsor_types=_choices(
                query.getlist("sponsor_type"), list(SponsorType.values), "sponsor_type"
            ),
            care_settings=_choices(
                query.getlist("care_setting"), list(CareSetting.values), "care_setting"
            ),
            therapeutic_areas=_choices(
                query.getlist("therapeutic_area"), list(TherapeuticArea.values), "therapeutic_area"
            ),
            age=_int(query.get("age"), "age", 0, 120),
            sex=_choices([sex], list(Sex.values), "sex")[0] if sex else None,
            healthy_volunteers=_bool(query.get("healthy_volunteers"), "healthy_volunteers"),
            near=near,
            radius_km=_radius(query.get("radius_km", "")),
            updated_since=_moment(query.get("updated_since", "")),
            sort=sort,
            limit=_int(query.get("limit"), "limit", 1, MAX_LIMIT) or DEFAULT_LIMIT,
            cursor=query.get("cursor") or None,
            facets=bool(_bool(query.get("facets"), "facets")),
        )
        if params.cursor:
            _cursor_decode(params.cursor, params.sort)
        return params


@dataclass
class SearchResult:
    studies: list[Study]
    total: int
    facets: dict[str, list[tuple[str, str, int]]]
    next_cursor: str | None
    # Study id -> kilometres to its nearest recruiting site, when `near` gave a point.
    distances: dict[int, float] = field(default_factory=dict)
    # A word of the query matched no study as written, and is matched with one typo instead.
    spelled_alike: bool = False


# ---------------------------------------------------------------- parsing


def _valid_values(allowed: list[str]) -> str:
    return ", ".join(allowed)


def _choices(values: list[str], allowed: list[str], name: str) -> list[str]:
    for value in values:
        if value not in allowed:
            raise ValidationFailed(
                code="invalid_choice",
                field=name,
                message=_("%(value)s is not a valid %(name)s. Valid values: %(valid)s.")
                % {"value": value[:40], "name": name, "valid": _valid_values(allowed)},
                valid=allowed,
            )
    return list(dict.fromkeys(values))


def _regions(values: list[str]) -> list[str]:
    """Two-digit codes, or names (`Uppsala`, `Region Örebro län`), as codes."""
    if not values:
        return []
    regions = list(Region.objects.all())
    by_name: dict[str, str] = {}
    for region in regions:
        by_name[region.code] = region.code
        for name in (region.name, region.short_name, region.name_en):
            by_name[fold_place(name)] = region.code
            words = [w for w in name.split() if fold_place(w) not in {"region", "lan", "county"}]
            by_name[fold_place(" ".join(words))] = region.code
    codes: list[str] = []
    for value in values:
        code = by_name.get(value.strip()) or by_name.get(fold_place(value))
        if code is None:
            allowed = [f"{r.code} ({r.short_name})" for r in regions]
            raise ValidationFailed(
                code="invalid_choice",
                field="region",
                message=_("%(value)s is not a valid %(name)s. Valid values: %(valid)s.")
                % {"value": value[:40], "name": "region", "valid": _valid_values(allowed)},
                valid=[r.code for r in regions],
            )
        codes.append(code)
    return list(dict.fromkeys(codes))


def _int(value: str | None, name: str, low: int, high: int) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ValidationFailed(
            code="out_of_range",
            field=name,
            message=_("%(name)s must be a whole number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high},
        )
    return number


def _bool(value: str | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("false", "0", "no", "off"):
        return False
    raise ValidationFailed(
        code="invalid_boolean",
        field=name,
        message=_("%(name)s must be true or false.") % {"name": name},
    )


def _radius(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        radius = float(text)
    except ValueError:
        radius = -1.0
    if math.isnan(radius) or not 0 < radius <= MAX_RADIUS_KM:
        raise ValidationFailed(
            code="out_of_range",
            field="radius_km",
            message=_("radius_km must be a distance in kilometres above 0 and at most %(max)s.")
            % {"max": int(MAX_RADIUS_KM)},
        )
    return radius


def _moment(text: str) -> dt.datetime | None:
    if not text.strip():
        return None
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = dt.datetime.combine(day, dt.time())
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationFailed(
            code="invalid_date",
            field="updated_since",
            message=_(
                "updated_since must be a date (2024-05-01) or a date and time (2024-05-01T12:00Z)."
            ),
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


# ---------------------------------------------------------------- cursor


def _cursor_encode(sort: str, key: list[Any]) -> str:
    return signing.dumps({"s": sort, "k": key}, salt=_CURSOR_SALT, compress=True)


def _cursor_decode(cursor: str, sort: str) -> list[Any]:
    try:
        data = signing.loads(cursor, salt=_CURSOR_SALT)
        if isinstance(data, dict) and data.get("s") == sort and isinstance(data.get("k"), list):
            return list(data["k"])
    except (signing.BadSignature, ValueError, TypeError):
        pass
    raise ValidationFailed(
        code="invalid_cursor",
        field="cursor",
        message=_(
            "The cursor is not one this search gave out for this sort order; "
            "start again without it."
        ),
    )


# ---------------------------------------------------------------- matching


def _fts_phrase(pattern: str) -> str | None:
    """The FTS5 trigram phrase answering `%text%` exactly from the index (no row is read),
    or None when the pattern has a wildcard inside or fewer than three letters."""
    inner = pattern[1:-1]
    if len(pattern) < 5 or pattern[0] != "%" or pattern[-1] != "%":
        return None
    if "%" in inner or "_" in inner:
        return None
    return '"' + inner.replace('"', '""') + '"'


def at_word_start(pattern: str) -> str:
    """A pattern as it applies to place names: from the start of a word (`%astm%` finds
    `astma` but not `vastmanland`)."""
    if pattern.startswith("%") and not pattern.startswith("% "):
        return "% " + pattern[1:]
    return pattern


def _fts_rowids(
    patterns: tuple[str, ...], *, places: bool = True, tags: str = ""
) -> tuple[str, list[str]]:
    """SQL selecting the ids of the entries whose text matches any pattern or (unless told
    not to) whose places match it from a word's start."""
    parts = _fts_parts(patterns, places=places, tags=tags)
    return " UNION ".join(sql for sql, _params in parts), [p for _sql, ps in parts for p in ps]


def _fts_parts(
    patterns: tuple[str, ...], *, places: bool, tags: str = ""
) -> list[tuple[str, list[str]]]:
    """The selects of `_fts_rowids`: one MATCH of each text index for the plain substrings
    (narrowed by the `tags` expression of `_fts_tags` when given), the trigram-assisted LIKE
    for the rest."""
    text = [phrase for pattern in patterns if (phrase := _fts_phrase(pattern))]
    anchored = [p for pattern in patterns if (p := _fts_phrase(at_word_start(pattern)))]
    parts: list[tuple[str, list[str]]] = []
    if text:
        match = "SELECT rowid FROM {0} WHERE {0} MATCH %s"
        phrases = " OR ".join(dict.fromkeys(text))
        # No column filter: a phrase of folded text never holds a tag's `#`, and the filter
        # cost more than it saved (bench_search).
        expression = f"({phrases}) AND {tags}" if tags else phrases
        parts.append((match.format("search_fts"), [expression]))
        if places:
            parts.append((match.format("search_places"), [" OR ".join(dict.fromkeys(anchored))]))
    for pattern in patterns:
        if _fts_phrase(pattern) is None:
            parts.append(("SELECT rowid FROM search_fts WHERE document LIKE %s", [pattern]))
            if places:
                like = "SELECT rowid FROM search_places WHERE places LIKE %s"
                parts.append((like, [at_word_start(pattern)]))
    return parts


def _fts_tags(params: SearchParams) -> str:
    """The FTS5 expression of the asked statuses and regions over the text index's tags
    (`search.index.fts_tags`), or "" when the search asks for neither."""
    parts = []
    if params.statuses and all(status in STATUS_TAGS for status in params.statuses):
        parts.append(" OR ".join(f'"{STATUS_TAGS[status]}"' for status in params.statuses))
    if params.regions:
        parts.append(" OR ".join(f'"{region_tag(code)}"' for code in params.regions))
    return " AND ".join(f"{{tags}} : ({part})" for part in parts)


def _matching(patterns: tuple[str, ...], column: str, tags: str = "") -> RawSQL:
    """Ids of entries whose text (`document`, with the places) or conditions match any
    pattern, as a subquery (never a list of ids). On SQLite `tags` (`_fts_tags`) narrows the
    text's matches; the places' matches are narrowed only by the filters on the entries."""
    if connection.vendor == "sqlite":
        sql, params = _fts_rowids(patterns, places=column == "document", tags=tags)
        if column == "document":
            return RawSQL(sql, params)  # noqa: S611 (fixed SQL, patterns as parameters)
        # The conditions are part of the document: the text index narrows, LIKE decides.
        narrowed = SearchText.objects.filter(
            _any(column, patterns),
            entry_id__in=RawSQL(sql, params),  # noqa: S611 (fixed SQL, patterns as parameters)
        )
        inner, inner_params = narrowed.values("entry_id").query.sql_with_params()
        return RawSQL(inner, inner_params)  # noqa: S611 (compiled by the ORM)
    # PostgreSQL: one regular expression for all the patterns, which the trigram index
    # answers in one scan; for many ORed LIKEs the planner reads every document instead.
    found = Q(**{f"{column}__regex": _patterns_regex(patterns)})
    if column == "document":
        places = tuple(at_word_start(pattern) for pattern in patterns)
        found |= Q(places__regex=_patterns_regex(places))
    query = SearchText.objects.filter(found)
    inner, inner_params = query.values("entry_id").query.sql_with_params()
    return RawSQL(inner, inner_params)  # noqa: S611 (compiled by the ORM)


def _like_regex(pattern: str) -> str:
    """A LIKE pattern as the regular expression matching the same texts."""
    body = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern
    )
    start = "" if pattern.startswith("%") else "^"
    end = "" if pattern.endswith("%") else "$"
    return start + body.removeprefix(".*").removesuffix(".*") + end


def _patterns_regex(patterns: tuple[str, ...]) -> str:
    return "(?:" + "|".join(_like_regex(p) for p in dict.fromkeys(patterns)) + ")"


def _matches_any(patterns: tuple[str, ...], column: str) -> bool:
    if connection.vendor == "sqlite" and column == "document":
        # Each pattern and each select on its own, until one finds a study: a UNION would find
        # every match before the first row, and an OR of phrases first reads to the end of
        # the lists of a phrase that matches nothing.
        parts = [part for pattern in patterns for part in _fts_parts((pattern,), places=True)]
        with connection.cursor() as cursor:
            for sql, params in parts:
                cursor.execute(f"SELECT 1 FROM ({sql}) AS found LIMIT 1", params)  # noqa: S608
                if cursor.fetchone() is not None:
                    return True
        return False
    found = _matching(patterns, column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM ({found.sql}) AS found LIMIT 1", found.params)  # noqa: S608
        return cursor.fetchone() is not None


@dataclass(frozen=True)
class _Matched:
    """A term with the patterns that decide it: exact, or its typos when no study at all
    matches it exactly (so a correctly spelt word is never diluted by look-alikes)."""

    term: Term
    exact: bool

    @property
    def patterns(self) -> tuple[str, ...]:
        return self.term.exact if self.exact else self.term.typos


def _decided(terms: list[Term], column: str) -> list[_Matched]:
    return [
        _Matched(term, exact=not term.typos or _matches_any(term.exact, column)) for term in terms
    ]


def _text_filter(
    entries: QuerySet[SearchEntry], matched: list[_Matched], tags: str
) -> QuerySet[SearchEntry]:
    """Entries matching every term."""
    for item in matched:
        entries = entries.filter(study_id__in=_matching(item.patterns, "document", tags))
    return entries


def _any(column: str, patterns: tuple[str, ...]) -> Q:
    matched = Q()
    for pattern in patterns:
        matched |= Q(**{f"{column}__like": pattern})
    return matched


def _score(matched: list[_Matched]) -> Any:
    """Points per term: a title match, a match elsewhere, or a typo match. A term matched
    exactly matches every entry's document, and a title is part of its document."""
    if not matched:
        return Value(0, output_field=IntegerField())
    total: Any = None
    for item in matched:
        points: Any
        if item.exact:
            points = Case(
                When(_any("title", item.term.exact), then=Value(_TITLE_POINTS)),
                default=Value(_TEXT_POINTS),
                output_field=IntegerField(),
            )
        else:
            points = Value(_TYPO_POINTS, output_field=IntegerField())
        total = points if total is None else CombinedExpression(total, "+", points, IntegerField())
    return total


def _filtered(params: SearchParams) -> tuple[QuerySet[SearchEntry], list[_Matched]]:
    """The matching entries (a query, nothing fetched yet) and how each text term matched."""
    entries = SearchEntry.objects.all()
    matched = _decided(query_terms(params.q), "document")
    if matched:
        tags = _fts_tags(params) if connection.vendor == "sqlite" else ""
        entries = _text_filter(entries, matched, tags)
    if params.conditions:
        wanted = Q()
        for condition in params.conditions:
            every = Q()
            for item in _decided(query_terms(condition), "conditions"):
                every &= Q(study_id__in=_matching(item.patterns, "conditions"))
            # A condition without any searchable word matches nothing, as before.
            wanted |= every if every else Q(pk__in=[])
        entries = entries.filter(wanted)
    if params.regions:
        in_regions = SearchSite.objects.filter(region_code__in=params.regions)
        if matched:
            # The text already narrowed the entries: look up each one's sites (a list of
            # every entry with a site in the region costs more than the search at 500,000).
            entries = entries.filter(Exists(in_regions.filter(entry_id=OuterRef("study_id"))))
        else:
            entries = entries.filter(study_id__in=in_regions.values("entry_id"))
    if params.sites:
        entries = entries.filter(
            study_id__in=SearchSite.objects.filter(organisation_id__in=params.sites).values(
                "entry_id"
            )
        )
    simple = {
        "status__in": params.statuses,
        "phase__in": params.phases,
        "study_type__in": params.study_types,
        "sponsor_type__in": params.sponsor_types,
        "therapeutic_area__in": params.therapeutic_areas,
    }
    entries = entries.filter(**{key: value for key, value in simple.items() if value})
    if params.care_settings:
        care = Q()
        for setting in params.care_settings:
            care |= Q(**{_CARE_FIELDS[setting]: True})
        entries = entries.filter(care)
    if params.age is not None:
        entries = entries.filter(
            Q(min_age__isnull=True) | Q(min_age__lte=params.age),
            Q(max_age__isnull=True) | Q(max_age__gte=params.age),
        )
    if params.sex and params.sex != Sex.ALL:
        entries = entries.filter(sex__in=[Sex.ALL, params.sex])
    if params.healthy_volunteers is not None:
        entries = entries.filter(healthy_volunteers=params.healthy_volunteers)
    if params.updated_since is not None:
        entries = entries.filter(updated_at__gte=params.updated_since)
    return entries, matched


def _near(
    entries: QuerySet[SearchEntry], params: SearchParams
) -> tuple[QuerySet[SearchEntry], dict[int, float]]:
    """Entries with a recruiting site within the radius, and the distance to the nearest."""
    place = near_resolve(params.near)
    if isinstance(place, Region):
        return entries.filter(
            study_id__in=SearchSite.objects.filter(region_code=place.code).values("entry_id")
        ), {}
    if place is None:
        return entries.none(), {}
    radius = params.radius_km or DEFAULT_RADIUS_KM
    lat_min, lat_max, lon_min, lon_max = bounding_box(place, radius)
    rows = SearchSite.objects.filter(
        is_recruiting=True,
        latitude__range=(lat_min, lat_max),
        longitude__range=(lon_min, lon_max),
        entry__in=entries.values("study_id"),
    ).values_list("entry_id", "latitude", "longitude")
    distances: dict[int, float] = {}
    for entry_id, lat, lon in rows:
        if lat is None or lon is None:
            continue
        distance = haversine_km(place, (lat, lon))
        if distance <= radius and distance < distances.get(entry_id, math.inf):
            distances[entry_id] = distance
    return entries.filter(study_id__in=ids_subquery(sorted(distances))), distances


def site_distances(study: Study, near: str) -> dict[int, float]:
    """Site id -> kilometres from the place, for the sites with coordinates."""
    place = near_resolve(near)
    if place is None or isinstance(place, Region):
        return {}
    point: Point = place
    return {
        site.pk: haversine_km(point, (site.organisation.latitude, site.organisation.longitude))
        for site in study.sites.all()
        if site.organisation.latitude is not None and site.organisation.longitude is not None
    }


# ---------------------------------------------------------------- ordering and paging


def _page_sql(
    entries: QuerySet[SearchEntry], params: SearchParams, matched: list[_Matched]
) -> tuple[list[int], str | None]:
    """One page of ids in the sort order, and the cursor to the next page."""
    key: list[Any] = _cursor_decode(params.cursor, params.sort) if params.cursor else []
    if params.sort == "relevance":
        entries = entries.annotate(score=_score(matched))
        order: tuple[str, ...] = ("-score", "-is_recruiting", "-study_id")
        if key:
            score, recruiting, last = key
            entries = entries.filter(
                Q(score__lt=score)
                | Q(score=score, is_recruiting__lt=recruiting)
                | Q(score=score, is_recruiting=recruiting, study_id__lt=last)
            )
        fields: tuple[str, ...] = ("score", "is_recruiting", "study_id")
    elif params.sort == "updated":
        order = ("-updated_at", "-study_id")
        if key:
            moment, last = dt.datetime.fromisoformat(key[0]), key[1]
            entries = entries.filter(
                Q(updated_at__lt=moment) | Q(updated_at=moment, study_id__lt=last)
            )
        fields = ("updated_at", "study_id")
    elif params.sort == "start":
        order = ("start_on", "study_id")
        if key:
            day, last = dt.date.fromisoformat(key[0]), key[1]
            entries = entries.filter(Q(start_on__gt=day) | Q(start_on=day, study_id__gt=last))
        fields = ("start_on", "study_id")
    else:  # title
        order = ("title", "study_id")
        if key:
            entries = entries.filter(Q(title__gt=key[0]) | Q(title=key[0], study_id__gt=key[1]))
        fields = ("title", "study_id")
    rows = list(entries.order_by(*order).values_list(*fields)[: params.limit + 1])
    ids = [row[-1] for row in rows[: params.limit]]
    next_cursor = None
    if len(rows) > params.limit:
        last_row = rows[params.limit - 1]
        values = [v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for v in last_row]
        next_cursor = _cursor_encode(params.sort, values)
    return ids, next_cursor


def _page_by_distance(
    distances: dict[int, float], params: SearchParams
) -> tuple[list[int], str | None]:
    ordered = sorted(distances.items(), key=lambda item: (item[1], item[0]))
    if params.cursor:
        distance, last = _cursor_decode(params.cursor, params.sort)
        ordered = [(i, d) for i, d in ordered if (d, i) > (distance, last)]
    page = ordered[: params.limit]
    next_cursor = None
    if len(ordered) > params.limit:
        last_id, last_distance = page[-1]
        next_cursor = _cursor_encode(params.sort, [last_distance, last_id])
    return [i for i, _d in page], next_cursor


# ---------------------------------------------------------------- facets


def _labelled(rows: list[tuple[Any, int]], labels: dict[str, str]) -> list[tuple[str, str, int]]:
    out = [(str(value), str(labels.get(str(value), value)), count) for value, count in rows]
    return sorted(out, key=lambda row: (-row[2], row[1]))


_PLAIN_FACETS: dict[str, Any] = {
    "status": OverallStatus,
    "phase": Phase,
    "study_type": StudyType,
    "sponsor_type": SponsorType,
    "therapeutic_area": TherapeuticArea,
    "sex": Sex,
}
_FLAG_FACETS: tuple[tuple[str, str, str], ...] = (
    ("healthy_volunteers", "true", "healthy_volunteers"),
    ("healthy_volunteers", "false", "NOT healthy_volunteers"),
    *(("care_setting", value, column) for value, column in _CARE_FIELDS.items()),
)
_MAX_SITE_FACETS = 50


def _facet_counts(entries: QuerySet[SearchEntry]) -> tuple[int, list[tuple[str, str, int]]]:
    """The total and (facet, value, count) rows: the matching entries are found once and every
    facet is a GROUP BY over them. PostgreSQL keeps them in a materialised CTE; SQLite
    computes such a CTE again for each part of a UNION, so there they go to a temporary
    table first (one search at 500,000 studies: 1.7 s down to a tenth)."""
    columns = ["study_id", *_PLAIN_FACETS, "healthy_volunteers", *_CARE_FIELDS.values()]
    try:
        inner, params = entries.order_by().values_list(*columns).query.sql_with_params()
    except EmptyResultSet:
        return 0, []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS temp.search_facet_m")
            cursor.execute(f"CREATE TEMPORARY TABLE search_facet_m AS {inner}", params)
            try:
                return _facet_rows(cursor, "", "search_facet_m", [])
            finally:
                cursor.execute("DROP TABLE IF EXISTS temp.search_facet_m")
    with connection.cursor() as cursor:
        return _facet_rows(cursor, f"WITH m AS MATERIALIZED ({inner}) ", "m", list(params))


def _facet_rows(
    cursor: Any, prefix: str, m: str, params: list[Any]
) -> tuple[int, list[tuple[str, str, int]]]:
    # Column names and values below come from this module's constants, never from input.
    parts = [f"SELECT 'total', '', COUNT(*) FROM {m}"]  # noqa: S608
    parts += [
        f"SELECT '{name}', {name}, COUNT(*) FROM {m} GROUP BY {name}"  # noqa: S608
        for name in _PLAIN_FACETS
    ]
    parts += [
        f"SELECT '{name}', '{value}', COUNT(*) FROM {m} WHERE {where}"  # noqa: S608
        for name, value, where in _FLAG_FACETS
    ]
    # The matching entries first, then their sites by entry (SQLite's CROSS JOIN keeps that
    # order; left to itself it walks every site in the order of the group).
    join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
    sites = f"FROM {m} {join} search_searchsite s ON s.entry_id = {m}.study_id"
    parts += [
        f"SELECT 'region', s.region_code, COUNT(DISTINCT s.entry_id) {sites} "
        "WHERE s.region_code <> '' GROUP BY s.region_code",
        f"SELECT 'site', CAST(s.organisation_id AS TEXT), COUNT(DISTINCT s.entry_id) {sites} "
        "GROUP BY s.organisation_id",
    ]
    cursor.execute(prefix + " UNION ALL ".join(parts), params)
    rows = [(str(name), str(value), int(count)) for name, value, count in cursor.fetchall()]
    total = next(count for name, _value, count in rows if name == "total")
    return total, [row for row in rows if row[0] != "total"]


Names = dict[str, dict[str, tuple[str, str]]]


def _facet_names(
    rows: list[tuple[str, str, int]],
) -> tuple[list[tuple[str, str, int]], Names]:
    """The counted rows with only the largest site counts, and the names of their regions and
    sites in both languages (Swedish, English): what the counts need of the database."""
    sites = sorted(
        ((value, count) for name, value, count in rows if name == "site" and count),
        key=lambda row: (-row[1], int(row[0])),
    )[:_MAX_SITE_FACETS]
    kept = [row for row in rows if row[0] != "site"] + [("site", v, n) for v, n in sites]
    names: Names = {
        "region": {r.code: (r.name, r.name_en or r.name) for r in Region.objects.all()},
        "site": {
            str(o.pk): (o.name, o.name_en or o.name)
            for o in Organisation.objects.filter(pk__in=[int(value) for value, _n in sites])
        },
    }
    return kept, names


def _label_maps(names: Names) -> dict[str, dict[str, str]]:
    """Each facet's labels by value in the language in use; regions and sites from `names`."""
    labels: dict[str, dict[str, str]] = {
        name: {k: str(v) for k, v in choices.choices} for name, choices in _PLAIN_FACETS.items()
    }
    labels["healthy_volunteers"] = {
        "true": str(_("Accepts healthy volunteers")),
        "false": str(_("Patients only")),
    }
    labels["care_setting"] = {k: str(v) for k, v in CareSetting.choices}
    english = get_language() == "en"
    for name in ("region", "site"):
        labels[name] = {key: pair[english] for key, pair in names.get(name, {}).items()}
    return labels


def facet_value_labels(name: str, values: list[str]) -> dict[str, str]:
    """Labels in the language in use of values of a facet, found without a search: for a
    chosen filter that no study matches now (the form still shows it)."""
    names: Names = {}
    if name == "region":
        regions = Region.objects.filter(code__in=values)
        names["region"] = {r.code: (r.name, r.name_en or r.name) for r in regions}
    elif name == "site":
        ids = [int(value) for value in values if value.isdigit()]
        sites = Organisation.objects.filter(pk__in=ids)
        names["site"] = {str(o.pk): (o.name, o.name_en or o.name) for o in sites}
    return _label_maps(names).get(name, {})


def _facets(
    rows: list[tuple[str, str, int]], names: Names
) -> dict[str, list[tuple[str, str, int]]]:
    """Counts per value of each facet, labelled in the language in use and ordered: largest
    first, then by label."""
    labels = _label_maps(names)
    by_facet: dict[str, list[tuple[str, int]]] = {name: [] for name in labels}
    for name, value, count in rows:
        if count and (name in ("region", "site") or value in labels[name]):
            by_facet[name].append((value, count))
    return {name: _labelled(values, labels[name]) for name, values in by_facet.items()}


# ---------------------------------------------------------------- the search


def _studies(ids: list[int]) -> list[Study]:
    found = (
        studies_public()
        .filter(pk__in=ids)
        .select_related("lead_region")
        .prefetch_related("conditions", "identifiers")
        .in_bulk()
    )
    studies = [found[pk] for pk in ids if pk in found]
    sites_attached(studies, "organisation", "region")
    return studies


def study_search(params: SearchParams) -> SearchResult:
    """Published studies matching the parameters, one page in the asked order, with facets.

    The page's ids, the counts and the cursor may come from an earlier identical search
    (`studienav.search.answers`); the studies themselves are always read anew."""
    if params.sort == "distance" and not params.near:
        raise ValidationFailed(
            code="distance_needs_near",
            field="sort",
            message=_("Sorting by distance needs a place: give near as well."),
        )
    limit = max(1, min(params.limit, MAX_LIMIT))
    if limit != params.limit:
        params = SearchParams(**{**params.__dict__, "limit": limit})
    key = answer_key(sorted(params.__dict__.items())) if answers_kept_seconds() else None
    answer: _Answer | None = answer_get(key) if key else None
    if answer is None:
        answer = _answer(params)
        if key:
            answer_keep(key, answer)
    studies = _studies(answer.ids)
    for study in studies:
        study.distance_km = answer.distances.get(study.pk)  # type: ignore[attr-defined]
    return SearchResult(
        studies=studies,
        total=answer.total,
        facets=_facets(answer.facet_counts, answer.facet_names) if params.facets else {},
        next_cursor=answer.next_cursor,
        distances=answer.distances,
        spelled_alike=answer.spelled_alike,
    )


@dataclass(frozen=True)
class _Answer:
    """What a search finds before the studies are read: kept in the cache as it is, and the
    same in every language (facet values are labelled when read)."""

    ids: list[int]
    total: int
    facet_counts: list[tuple[str, str, int]]  # (facet, value, count)
    facet_names: Names  # of the counted regions and sites
    next_cursor: str | None
    distances: dict[int, float]  # of the page's studies
    spelled_alike: bool = False  # see SearchResult


def _answer(params: SearchParams) -> _Answer:
    entries, matched = _filtered(params)
    distances: dict[int, float] = {}
    if params.near:
        entries, distances = _near(entries, params)
    if matched and connection.vendor == "sqlite":
        # The text matched a part of the studies: find them once, for the page, the count and
        # the facets alike (each of them found them again before).
        with _matches_kept(entries) as entries:
            return _search(params, entries, matched, distances)
    if matched and connection.vendor == "postgresql":
        with _text_costs_told():
            return _search(params, entries, matched, distances)
    return _search(params, entries, matched, distances)


# PostgreSQL's planner counts a regular expression over a whole document as one cheap operator
# (cpu_operator_cost 0.0025) and so scans every document for a broad word instead of checking
# the few entries the other filters leave (a facet count for `cancer` in one region: 230 ms
# instead of 18 ms at 40,000 studies). Within a text search it is told what they cost.
_PG_OPERATOR_COST = 0.05


@contextmanager
def _text_costs_told() -> Iterator[None]:
    """PostgreSQL: a higher operator cost for the queries inside, then the one before (a
    failure rolls the savepoint back, and the setting with it)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('cpu_operator_cost')")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config('cpu_operator_cost', %s, true)", [str(_PG_OPERATOR_COST)])
        yield
        cursor.execute("SELECT set_config('cpu_operator_cost', %s, true)", [before])


@contextmanager
def _matches_kept(entries: QuerySet[SearchEntry]) -> Iterator[QuerySet[SearchEntry]]:
    """The entries, found once into a temporary table of this connection (SQLite)."""
    try:
        inner, params = entries.order_by().values("study_id").query.sql_with_params()
    except EmptyResultSet:
        yield entries.none()
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS temp.search_matches")
        cursor.execute("CREATE TEMPORARY TABLE search_matches (study_id INTEGER PRIMARY KEY)")
        cursor.execute(f"INSERT INTO temp.search_matches {inner}", params)
    try:
        yield SearchEntry.objects.filter(
            study_id__in=RawSQL("SELECT study_id FROM temp.search_matches", [])
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS temp.search_matches")


def _search(
    params: SearchParams,
    entries: QuerySet[SearchEntry],
    matched: list[_Matched],
    distances: dict[int, float],
) -> _Answer:
    if params.sort == "distance":
        kept = set(entries.values_list("study_id", flat=True))
        distances = {pk: d for pk, d in distances.items() if pk in kept}
        ids, next_cursor = _page_by_distance(distances, params)
        total = len(distances)
    else:
        ids, next_cursor = _page_sql(entries, params, matched)
        total = -1
    rows: list[tuple[str, str, int]] = []
    names: Names = {}
    if params.facets:
        total, rows = _facet_counts(entries)
        rows, names = _facet_names(rows)
    elif total < 0:
        total = entries.count()
    return _Answer(
        ids=ids,
        total=total,
        facet_counts=rows,
        facet_names=names,
        next_cursor=next_cursor,
        distances={pk: distances[pk] for pk in ids if pk in distances},
        spelled_alike=any(not m.exact for m in matched),
    )
