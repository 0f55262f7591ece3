"""The one search over published studies behind the portal, the JSON API and FHIR: the query.

`study_search(SearchParams)` finds the studies a query's identifiers name (`registry.
identifiers`), matches its other words through `studienav.search.text` (the same LIKE
patterns on both databases), filters on the index's facet fields, ranks by relevance with
recruiting studies first on ties, counts facets (`studienav.search.facets`) and pages with a
signed keyset cursor (`studienav.search.params`), so paging stays stable while studies are
added or changed, or with an offset for the portal's numbered pages. An answer is kept until
the index changes (`studienav.search.answers`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

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
from django.utils.translation import gettext as _

from studienav.core.bulk import ids_subquery
from studienav.core.errors import ValidationFailed
from studienav.core.models import Region
from studienav.registry.identifiers import IdentifierLookup, identifiers_named
from studienav.registry.models import Sex, Study, StudyIdentifier
from studienav.registry.selectors import sites_attached, studies_public
from studienav.search.answers import answer_get, answer_keep, answer_key, answers_kept_seconds
from studienav.search.facets import (
    CARE_FIELDS,
    FacetRow,
    Names,
    facet_counts,
    facet_names,
    facet_value_labels,
    facets_labelled,
)
from studienav.search.index import STATUS_TAGS, region_tag
from studienav.search.models import SearchEntry, SearchMatch, SearchSite, SearchText
from studienav.search.params import (
    DEFAULT_RADIUS_KM,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    SORTS,
    SearchParams,
    cursor_decode,
    cursor_encode,
)
from studienav.search.places import Point, bounding_box, haversine_km, near_resolve
from studienav.search.planner import planner_told as _planner_told
from studienav.search.planner import settings_set as _settings_set
from studienav.search.text import MAX_PATTERNS, Term, patterns_counted, query_terms
from studienav.search.words import like_regex as _like_regex
from studienav.search.words import tag_code, words_found, words_matching

# What other apps import from here: the search, and the parameters and labels it takes.
__all__ = [
    "MAX_QUERY_LENGTH",
    "SORTS",
    "SearchParams",
    "SearchResult",
    "facet_value_labels",
    "site_distances",
    "study_search",
]

# Points a term earns by where it matches: in a title, elsewhere, or only with a typo.
_TITLE_POINTS, _TEXT_POINTS, _TYPO_POINTS = 3, 2, 1


class _Like(Lookup):
    """`field LIKE pattern` with the pattern's own wildcards (the text is folded ASCII)."""

    lookup_name = "like"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


class _RegexChecked(Lookup):
    """PostgreSQL: `field ~ pattern` that the trigram index is not asked about, for a regular
    expression that only checks the rows another condition's index scan found."""

    lookup_name = "regex_checked"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs} || '') ~ {rhs}", [*lhs_params, *rhs_params]


for _model, _name in (
    (SearchEntry, "title"),
    (SearchMatch, "title"),
    (SearchText, "document"),
    (SearchText, "conditions"),
):
    _field = _model._meta.get_field(_name)
    assert isinstance(_field, models.Field)
    _field.register_lookup(_Like)
for _name in ("document", "places", "conditions"):
    _field = SearchText._meta.get_field(_name)
    assert isinstance(_field, models.Field)
    _field.register_lookup(_RegexChecked)


@dataclass
class SearchResult:
    """One page of a search: its studies, how many match in all, and the facets when asked."""

    studies: list[Study]
    total: int
    # (value, label, count) per value of each facet (`studienav.search.facets`).
    facets: dict[str, list[FacetRow]]
    next_cursor: str | None
    # Study id -> kilometres to its nearest recruiting site, when `near` gave a point.
    distances: dict[int, float] = field(default_factory=dict)
    # A word of the query matched no study as written, and is matched with one typo instead.
    spelled_alike: bool = False


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


_REGION_CODE = re.compile(r"[0-9]{2}")
# The tags of a search's filters, for the engine at hand: an FTS5 expression on SQLite
# (`_fts_tags`), groups of tag codes on PostgreSQL (`_pg_tags`).
Tags = str | tuple[tuple[int, ...], ...]


def _regions_tagged(params: SearchParams) -> bool:
    return bool(params.regions) and all(_REGION_CODE.fullmatch(code) for code in params.regions)


def _statuses_tagged(params: SearchParams) -> bool:
    return bool(params.statuses) and all(status in STATUS_TAGS for status in params.statuses)


def _pg_tags(params: SearchParams) -> tuple[tuple[int, ...], ...]:
    """PostgreSQL: the codes of the asked statuses and regions among the entries' word codes
    (`search.words`), one group per filter of which an entry must hold one, or () when the
    search asks for neither."""
    groups = []
    if _statuses_tagged(params):
        groups.append(tuple(tag_code(STATUS_TAGS[status]) for status in params.statuses))
    if _regions_tagged(params):
        groups.append(tuple(tag_code(region_tag(code)) for code in params.regions))
    return tuple(groups)


def _matching(
    patterns: tuple[str, ...], column: str, tags: Tags = "", guard: tuple[str, ...] = ()
) -> RawSQL:
    """Ids of entries whose text (`document`, with the places) or conditions match any
    pattern, as a subquery (never a list of ids). On SQLite `tags` (`_fts_tags`) narrows the
    text's matches; the places' matches are narrowed only by the filters on the entries. On
    PostgreSQL only the conditions come here (`_in_text` has the text), answered by their
    trigram index, where a `guard` (`text.typo_guard`) is what the index is asked for
    instead."""
    if connection.vendor == "sqlite":
        assert isinstance(tags, str)
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
    # PostgreSQL's conditions (short texts; the document goes to `_in_text`): one regular
    # expression for all the patterns, which the trigram index answers in one scan; for many
    # ORed LIKEs the planner reads every text instead.
    query = SearchText.objects.filter(_regex(column, patterns, guard))
    inner, inner_params = query.values("entry_id").query.sql_with_params()
    return RawSQL(inner, inner_params)  # noqa: S611 (compiled by the ORM)


def _in_text(patterns: tuple[str, ...], tags: Tags = "") -> Q:
    """Entries whose text matches any pattern or whose places match it from a word's start:
    on SQLite by the text indexes (`_matching`), on PostgreSQL by the word index
    (`search.words`), narrowed by the `tags` in the same scan."""
    if connection.vendor == "sqlite":
        return Q(study_id__in=_matching(patterns, "document", tags))
    codes = tags if isinstance(tags, tuple) else ()
    return words_matching(_text_and_places(patterns), codes)


def _text_and_places(patterns: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """PostgreSQL: the patterns for the text, and as they apply to the places."""
    places = tuple(at_word_start(pattern) for pattern in patterns)
    return (("document", patterns), ("places", places))


# Patterns in one regular expression: pg_trgm turns an alternation of more (`hjärtsvikt`'s
# eight names) into a graph too large to take trigrams from, and its index scan then hands
# over every document to be checked (421,848 instead of 16,297, two seconds).
_REGEX_GROUP = 4


def _regex(column: str, patterns: tuple[str, ...], guard: tuple[str, ...]) -> Q:
    """PostgreSQL: the column matches any pattern; with a guard, the trigram index finds the
    guard's matches and the patterns only check those."""
    if not guard:
        return _regex_any(column, patterns)
    return _regex_any(column, guard) & Q(**{f"{column}__regex_checked": _patterns_regex(patterns)})


def _regex_any(column: str, patterns: tuple[str, ...]) -> Q:
    """The column matches any pattern: a regular expression for each group of them, ORed
    (one index scan each, combined in one bitmap)."""
    unique = list(dict.fromkeys(patterns))
    found = Q()
    for start in range(0, len(unique), _REGEX_GROUP):
        group = tuple(unique[start : start + _REGEX_GROUP])
        found |= Q(**{f"{column}__regex": _patterns_regex(group)})
    return found


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
    if column == "document":
        return words_found(_text_and_places(patterns))
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

    @property
    def guard(self) -> tuple[str, ...]:
        return () if self.exact else self.term.typo_guard


def _decided(terms: list[Term], column: str) -> list[_Matched]:
    return [
        _Matched(term, exact=not term.typos or _matches_any(term.exact, column)) for term in terms
    ]


def _text_filter(
    entries: QuerySet[SearchEntry], matched: list[_Matched], tags: Tags
) -> QuerySet[SearchEntry]:
    """Entries matching every term."""
    for item in matched:
        entries = entries.filter(_in_text(item.patterns, tags))
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


# ---------------------------------------------------------------- identifiers and filters


def _identified(q: str) -> tuple[list[int], str]:
    """The public studies holding an identifier the query names, and the query's other words
    (all of them when it names none that a public study holds): an identifier is found as
    the registry keeps it, not as text, which no index holds."""
    named = identifiers_named(q)
    if not named:
        return [], q
    lookups = [lookup for item in named for lookup in item.lookups]
    held: dict[tuple[str, str], set[int]] = {}
    for scheme, value, study_id in _holders(lookups).values_list("scheme", "value", "study_id"):
        held.setdefault((scheme, value), set()).add(study_id)
    found: set[int] = set()
    taken: set[int] = set()
    for item in named:  # the most certain first; a word names one identifier at most
        words = set(range(item.start, item.stop))
        studies = {
            pk
            for lookup in item.lookups
            for value in lookup.spellings()
            for pk in held.get((lookup.scheme, value), ())
        }
        if studies and not words & taken:
            found |= studies
            taken |= words
    rest = " ".join(word for position, word in enumerate(q.split()) if position not in taken)
    return sorted(found), rest


def _holders(lookups: list[IdentifierLookup]) -> QuerySet[StudyIdentifier]:
    """The identifiers of public studies that any lookup finds (each value by the index)."""
    wanted = Q()
    for lookup in lookups:
        wanted |= Q(scheme=lookup.scheme, value__in=lookup.spellings())
    if not wanted:
        return StudyIdentifier.objects.none()
    return StudyIdentifier.objects.filter(wanted, study__search_entry__isnull=False)


def _named(entries: QuerySet[SearchEntry], params: SearchParams) -> QuerySet[SearchEntry]:
    """Entries of the studies with an id or an identifier in the parameters (either)."""
    named = Q(study_id__in=params.study_ids)
    if params.identifiers:
        named |= Q(study_id__in=_holders(params.identifiers).values("study_id"))
    return entries.filter(named)


def _in_titles(
    entries: QuerySet[SearchEntry], matched: list[_Matched], tags: Tags
) -> QuerySet[SearchEntry]:
    """Entries with every term in a title: the text index finds them in the documents (which
    hold the titles), the titles decide."""
    entries = _text_filter(entries, matched, tags)
    for item in matched:
        entries = entries.filter(_any("title", item.patterns))
    return entries


def _filtered(params: SearchParams) -> tuple[QuerySet[SearchEntry], list[_Matched]]:
    """The matching entries (a query, nothing fetched yet) and how each text term matched."""
    entries = SearchEntry.objects.all()
    identified, words = _identified(params.q) if params.q else ([], "")
    if identified:
        entries = entries.filter(study_id__in=identified)
    if params.identifiers or params.study_ids:
        entries = _named(entries, params)
    tags: Tags = _fts_tags(params) if connection.vendor == "sqlite" else _pg_tags(params)
    # The query, the titles and the conditions share one budget of patterns, in that order.
    terms = query_terms(words)
    room = MAX_PATTERNS - patterns_counted(terms)
    matched = _decided(terms, "document")
    if matched:
        entries = _text_filter(entries, matched, tags)
    if params.title:
        terms = query_terms(params.title, max_patterns=max(room, 0))
        room -= patterns_counted(terms)
        in_titles = _decided(terms, "document")
        entries = _in_titles(entries, in_titles, tags) if in_titles else entries.none()
        matched += in_titles
    if params.conditions:
        wanted = Q()
        for condition in params.conditions:
            terms = query_terms(condition, max_patterns=max(room, 0))
            room -= patterns_counted(terms)
            every = Q()
            for item in _decided(terms, "conditions"):
                every &= Q(study_id__in=_matching(item.patterns, "conditions", guard=item.guard))
            # A condition without any searchable word matches nothing, as before.
            wanted |= every if every else Q(pk__in=[])
        entries = entries.filter(wanted)
    # On PostgreSQL the text's matches hold a tag of one of the regions, and an entry's region
    # tags there are exactly its sites' regions (`index.words_tags`): nothing to look up.
    on_tags = isinstance(tags, tuple) and bool(matched)
    if params.regions and not (on_tags and _regions_tagged(params)):
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
        # On PostgreSQL the text's matches hold a tag of one of the statuses already.
        "status__in": [] if on_tags and _statuses_tagged(params) else params.statuses,
        "phase__in": params.phases,
        "study_type__in": params.study_types,
        "sponsor_type__in": params.sponsor_types,
        "therapeutic_area__in": params.therapeutic_areas,
    }
    entries = entries.filter(**{key: value for key, value in simple.items() if value})
    if params.care_settings:
        care = Q()
        for setting in params.care_settings:
            care |= Q(**{CARE_FIELDS[setting]: True})
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
    entries: QuerySet[Any], params: SearchParams, matched: list[_Matched]
) -> tuple[list[int], str | None]:
    """One page of ids in the sort order (after the cursor's row and the offset's rows), and
    the cursor to the next page."""
    key: list[Any] = cursor_decode(params.cursor, params.sort) if params.cursor else []
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
    start = params.offset
    rows = list(entries.order_by(*order).values_list(*fields)[start : start + params.limit + 1])
    ids = [row[-1] for row in rows[: params.limit]]
    next_cursor = None
    if len(rows) > params.limit:
        last_row = rows[params.limit - 1]
        values = [v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for v in last_row]
        next_cursor = cursor_encode(params.sort, values)
    return ids, next_cursor


def _page_by_distance(
    distances: dict[int, float], params: SearchParams
) -> tuple[list[int], str | None]:
    ordered = sorted(distances.items(), key=lambda item: (item[1], item[0]))
    if params.cursor:
        distance, last = cursor_decode(params.cursor, params.sort)
        ordered = [(i, d) for i, d in ordered if (d, i) > (distance, last)]
    ordered = ordered[params.offset :]
    page = ordered[: params.limit]
    next_cursor = None
    if len(ordered) > params.limit:
        last_id, last_distance = page[-1]
        next_cursor = cursor_encode(params.sort, [last_distance, last_id])
    return [i for i, _d in page], next_cursor


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
    if limit != params.limit or params.offset < 0:
        params = dataclasses.replace(params, limit=limit, offset=max(params.offset, 0))
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
        facets=facets_labelled(answer.facet_counts, answer.facet_names) if params.facets else {},
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
    facet_counts: list[FacetRow]
    facet_names: Names  # of the counted regions and sites
    next_cursor: str | None
    distances: dict[int, float]  # of the page's studies
    spelled_alike: bool = False  # see SearchResult


def _answer(params: SearchParams) -> _Answer:
    entries, matched = _filtered(params)
    distances: dict[int, float] = {}
    if params.near:
        entries, distances = _near(entries, params)
    text_costs = {"cpu_operator_cost": _PG_OPERATOR_COST} if matched else {}
    with _planner_told({**_PG_SETTINGS, **text_costs}) as before:
        if matched:
            # The text matched a part of the studies: find them once, for the page, the count
            # and the facets alike (each of them found them again before).
            then = {name: before[name] for name in text_costs if name in before}
            with _matches_kept(entries, then=then) as kept:
                return _search(params, kept, matched, distances)
        return _search(params, entries, matched, distances)


# PostgreSQL's planner counts a regular expression over a whole document as one cheap operator
# (cpu_operator_cost 0.0025) and so scans every document for a broad word instead of checking
# the few entries the other filters leave (a facet count for `cancer` in one region: 230 ms
# instead of 18 ms at 40,000 studies). The query finding a text search's matches is told what
# they cost; the page and the counts over the found matches are planned as usual (with that
# cost they would read every site to count a few thousand matches' sites). A search over
# 400,000 entries is estimated dear enough for compiling it (JIT, 100-300 ms each time, more
# than the search), and a search's own parallel workers take the cores the server's other
# requests need: neither within a search.
_PG_OPERATOR_COST = "0.05"
# Sorting and counting the matches of a broad word (18,000 at 500,000 studies, with 65,000
# sites) spilled to disk with the default 4 MB.
_PG_SETTINGS = {"jit": "off", "max_parallel_workers_per_gather": "0", "work_mem": "32MB"}


# PostgreSQL: each connection's own table of a search's matches (`SearchMatch`), made once (no
# catalogue writes per search) and emptied when the transaction commits; the connections known
# to have it (once the transaction that made it committed).
_PG_MATCHES_MADE: weakref.WeakSet[Any] = weakref.WeakSet()


def _pg_matches_table() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"{quote(str(field.column))} {field.db_type(connection)}"
        + (" PRIMARY KEY" if field.primary_key else "")
        for field in SearchMatch._meta.concrete_fields
    )
    return f"CREATE TEMPORARY TABLE IF NOT EXISTS search_matches ({columns}) ON COMMIT DELETE ROWS"


@contextmanager
def _matches_kept(
    entries: QuerySet[SearchEntry], *, then: dict[str, str]
) -> Iterator[QuerySet[Any]]:
    """The entries, found once into a temporary table of this connection: on SQLite their ids,
    in a table made and dropped each time; on PostgreSQL with what the page and the counts
    read of them (`SearchMatch`: they read no entry again), in a table kept by the connection
    and emptied at commit (and the planner's settings `then` once they are found)."""
    sqlite = connection.vendor == "sqlite"
    columns = ["study_id"] if sqlite else [f.attname for f in SearchMatch._meta.concrete_fields]
    try:
        inner, params = entries.order_by().values(*columns).query.sql_with_params()
    except EmptyResultSet:
        yield entries.none()
        return
    table = "temp.search_matches" if sqlite else "pg_temp.search_matches"
    with connection.cursor() as cursor:
        if sqlite:
            cursor.execute("DROP TABLE IF EXISTS temp.search_matches")
            cursor.execute("CREATE TEMPORARY TABLE search_matches (study_id INTEGER PRIMARY KEY)")
        else:
            raw = connection.connection
            if raw not in _PG_MATCHES_MADE:
                cursor.execute(_pg_matches_table())
                transaction.on_commit(lambda: _PG_MATCHES_MADE.add(raw))
            if len(connection.atomic_blocks) > 1:
                # In a transaction begun before the search: an earlier one's rows may be left.
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a constant)
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        cursor.execute(f"INSERT INTO {table} ({names}) {inner}", params)
        if then:
            _settings_set(cursor, then)
    if not sqlite:
        yield SearchMatch.objects.all()
        return
    try:
        yield SearchEntry.objects.filter(
            study_id__in=RawSQL(f"SELECT study_id FROM {table}", [])  # noqa: S611, S608
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS temp.search_matches")


def _search(
    params: SearchParams,
    entries: QuerySet[Any],
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
    rows: list[FacetRow] = []
    names: Names = {}
    if params.facets:
        total, rows = facet_counts(entries)
        rows, names = facet_names(rows)
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
