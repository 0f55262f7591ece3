"""What a search asks for: the parameters, checked once where they come in (a query string, an
API's validated schema, FHIR's parameters), and the signed cursor that pages through them."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from studienav.core.errors import ValidationFailed
from studienav.core.models import Region
from studienav.core.places import fold as fold_place
from studienav.registry.identifiers import IdentifierLookup
from studienav.registry.models import (
    CareSetting,
    OverallStatus,
    Phase,
    Sex,
    SponsorType,
    StudyType,
    TherapeuticArea,
)
from studienav.search.places import near_resolve
from studienav.search.text import MAX_WORDS

SORTS = ("relevance", "updated", "distance", "start", "title")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
DEFAULT_RADIUS_KM = 100.0
MAX_RADIUS_KM = 2000.0
MAX_QUERY_LENGTH = 500
MAX_CONDITIONS = 20
MAX_AGE = 120
# The pages of results a person can number through; past them, a narrower search serves better
# (and the offset a page needs stays small).
MAX_PAGE = 100
# Ids the database holds fit in a signed 64-bit integer; larger ones are refused.
MAX_ID = 2**62
_CURSOR_SALT = "studienav.search.cursor"


@dataclass
class SearchParams:
    """What a search asks for; every list is OR within itself and AND with the others.

    Made by `from_query` (a query string) or `from_values` (values already typed by a form or
    an API schema), which check them; made directly, they are taken as they are."""

    q: str = ""
    # Words that must be in a title (the public ones or the acronym).
    title: str = ""
    conditions: list[str] = field(default_factory=list)
    # Studies holding any of these identifiers, or with any of these ids.
    identifiers: list[IdentifierLookup] = field(default_factory=list)
    study_ids: list[int] = field(default_factory=list)
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
    # Rows to skip before the page (after the cursor's, when both are given): numbered pages.
    offset: int = 0
    facets: bool = False

    @classmethod
    def from_query(cls, query: QueryDict) -> SearchParams:
        """Parse a query string; raises ValidationFailed naming the parameter and valid values."""
        sex = query.get("sex", "")
        return cls.from_values(
            q=query.get("q", ""),
            conditions=query.getlist("condition"),
            regions=query.getlist("region"),
            sites=[n for v in query.getlist("site") if (n := _int(v, "site", 1, MAX_ID))],
            statuses=query.getlist("status"),
            phases=query.getlist("phase"),
            study_types=query.getlist("study_type"),
            sponsor_types=query.getlist("sponsor_type"),
            care_settings=query.getlist("care_setting"),
            therapeutic_areas=query.getlist("therapeutic_area"),
            age=_int(query.get("age"), "age", 0, MAX_AGE),
            sex=sex or None,
            healthy_volunteers=_bool(query.get("healthy_volunteers"), "healthy_volunteers"),
            near=query.get("near", ""),
            radius_km=_radius(query.get("radius_km", "")),
            updated_since=updated_since_parse(query.get("updated_since", "")),
            sort=query.get("sort") or "relevance",
            limit=_int(query.get("limit"), "limit", 1, MAX_LIMIT) or DEFAULT_LIMIT,
            cursor=query.get("cursor") or None,
            facets=bool(_bool(query.get("facets"), "facets")),
        )

    @classmethod
    def from_values(
        cls,
        *,
        q: str = "",
        title: str = "",
        conditions: Sequence[str] | None = None,
        identifiers: Sequence[IdentifierLookup] | None = None,
        study_ids: Sequence[int] | None = None,
        regions: Sequence[str] | None = None,
        sites: Sequence[int] | None = None,
        statuses: Sequence[str] | None = None,
        phases: Sequence[str] | None = None,
        study_types: Sequence[str] | None = None,
        sponsor_types: Sequence[str] | None = None,
        care_settings: Sequence[str] | None = None,
        therapeutic_areas: Sequence[str] | None = None,
        age: int | None = None,
        sex: str | None = None,
        healthy_volunteers: bool | None = None,
        near: str = "",
        radius_km: float | None = None,
        updated_since: dt.datetime | None = None,
        sort: str = "relevance",
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        facets: bool = False,
    ) -> SearchParams:
        """Typed values checked as a search needs them: texts within what one search reads,
        regions by code or name, closed lists, ranges, a place that is known, a cursor that
        fits the sort. Raises ValidationFailed naming the parameter and the valid values."""
        near = near.strip()
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
        _choices([sort], list(SORTS), "sort")
        if sort == "distance" and not near:
            raise ValidationFailed(
                code="distance_needs_near",
                field="sort",
                message=_("Sorting by distance needs a place: give near as well."),
            )
        for name, number, low, high in (
            ("age", age, 0, MAX_AGE),
            ("limit", limit, 1, MAX_LIMIT),
            *(("site", site, 1, MAX_ID) for site in sites or []),
        ):
            if number is not None:
                _in_range(number, name, low, high)
        params = cls(
            q=_search_text(q, "q"),
            title=_search_text(title, "title"),
            conditions=_conditions(conditions or []),
            identifiers=list(dict.fromkeys(identifiers or [])),
            study_ids=list(dict.fromkeys(study_ids or [])),
            regions=_regions(regions or []),
            sites=list(dict.fromkeys(sites or [])),
            statuses=_choices(statuses or [], list(OverallStatus.values), "status"),
            phases=_choices(phases or [], list(Phase.values), "phase"),
            study_types=_choices(study_types or [], list(StudyType.values), "study_type"),
            sponsor_types=_choices(sponsor_types or [], list(SponsorType.values), "sponsor_type"),
            care_settings=_choices(care_settings or [], list(CareSetting.values), "care_setting"),
            therapeutic_areas=_choices(
                therapeutic_areas or [], list(TherapeuticArea.values), "therapeutic_area"
            ),
            age=age,
            sex=_choices([sex], list(Sex.values), "sex")[0] if sex else None,
            healthy_volunteers=healthy_volunteers,
            near=near,
            radius_km=_radius_checked(radius_km) if radius_km is not None else None,
            updated_since=_aware(updated_since),
            sort=str(sort),
            limit=limit,
            cursor=cursor or None,
            facets=facets,
        )
        if params.cursor:
            cursor_decode(params.cursor, params.sort)
        return params


# ---------------------------------------------------------------- parsing


def _search_text(value: str, name: str, *, length: int | None = MAX_QUERY_LENGTH) -> str:
    """Words to search for, within what one search reads (`length` characters, `MAX_WORDS`
    words): more is refused, not silently cut, so the asker knows."""
    text = value.strip()
    if length is not None and len(text) > length:
        raise ValidationFailed(
            code="too_long",
            field=name,
            message=_("Search for at most %(count)s characters.") % {"count": length},
        )
    if len(text.split()) > MAX_WORDS:
        raise ValidationFailed(
            code="too_many_words",
            field=name,
            message=_("Search for at most %(count)s words.") % {"count": MAX_WORDS},
        )
    return text


def _conditions(values: Sequence[str]) -> list[str]:
    """The first `MAX_CONDITIONS` conditions, with `MAX_WORDS` words among them at most."""
    conditions = [c for value in values if (c := _search_text(value, "condition"))]
    conditions = conditions[:MAX_CONDITIONS]
    _search_text(" ".join(conditions), "condition", length=None)
    return conditions


def _valid_values(allowed: list[str]) -> str:
    return ", ".join(allowed)


def _choices(values: Sequence[str], allowed: list[str], name: str) -> list[str]:
    """The values, each one of `allowed`, as plain strings (an enum's member is its value)."""
    for value in values:
        if value not in allowed:
            raise ValidationFailed(
                code="invalid_choice",
                field=name,
                message=_("%(value)s is not a valid %(name)s. Valid values: %(valid)s.")
                % {"value": value[:40], "name": name, "valid": _valid_values(allowed)},
                valid=allowed,
            )
    return list(dict.fromkeys(str(value) for value in values))


def _regions(values: Sequence[str]) -> list[str]:
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
    return _in_range(number, name, low, high)


def _in_range(number: int, name: str, low: int, high: int) -> int:
    if not low <= number <= high:
        raise ValidationFailed(
            code="out_of_range",
            field=name,
            message=_("%(name)s must be a whole number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high},
        )
    return number


def page_parse(value: str | None) -> int:
    """The numbered page asked for (1 when none), from 1 to `MAX_PAGE`; ValidationFailed
    naming `page` otherwise, and past the last one, a hint to narrow the search."""
    if value is None or not value.strip():
        return 1
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number > MAX_PAGE:
        raise ValidationFailed(
            code="page_too_far",
            field="page",
            message=_(
                "Only the first %(count)s pages of results are shown. "
                "Narrow the search with more words or filters."
            )
            % {"count": MAX_PAGE},
        )
    return _in_range(number, "page", 1, MAX_PAGE)


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
    return _radius_checked(radius)


def _radius_checked(radius: float) -> float:
    if math.isnan(radius) or not 0 < radius <= MAX_RADIUS_KM:
        raise ValidationFailed(
            code="out_of_range",
            field="radius_km",
            message=_("radius_km must be a distance in kilometres above 0 and at most %(max)s.")
            % {"max": int(MAX_RADIUS_KM)},
        )
    return radius


def updated_since_parse(text: str) -> dt.datetime | None:
    """`updated_since` as written: a date (2024-05-01) or a date and time; None when empty."""
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
    return moment


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or not timezone.is_naive(moment):
        return moment
    return timezone.make_aware(moment)


# ---------------------------------------------------------------- cursor


def cursor_encode(sort: str, key: list[Any]) -> str:
    """The cursor to the page after the row whose sort key is `key`, signed so that no one
    can make one up."""
    return signing.dumps({"s": sort, "k": key}, salt=_CURSOR_SALT, compress=True)


def cursor_decode(cursor: str, sort: str) -> list[Any]:
    """The sort key a cursor holds; ValidationFailed when it is not one this search gave
    out for this sort order."""
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
