"""Near me: a municipality, locality, postcode area or `lat,lon` as a point on the map."""

from __future__ import annotations

import csv
import math
import re
from functools import cache
from pathlib import Path

from studienav.core.models import Municipality, Organisation, Region
from studienav.core.places import place_resolve

POSTCODE_AREAS_CSV = Path(__file__).resolve().parent / "data" / "postcode_areas.csv"
EARTH_RADIUS_KM = 6371.0088
_POSTCODE = re.compile(r"^(?:SE-?)?(\d{3})\s?(\d{2})?$", re.IGNORECASE)
_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")

Point = tuple[float, float]


@cache
def postcode_areas() -> dict[str, str]:
    """Postcode area (first three digits) -> municipality code, for the main towns."""
    with POSTCODE_AREAS_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["area"]: row["municipality_code"] for row in csv.DictReader(handle)}


def _postcode_point(area: str) -> Point | None:
    code = postcode_areas().get(area)
    municipality = (
        Municipality.objects.filter(code=code).first()
        if code
        else Municipality.objects.filter(
            pk__in=Organisation.objects.filter(postal_code__startswith=area).values("municipality")
        )
        .order_by("code")
        .first()
    )
    if municipality is None:
        return None
    return municipality.latitude, municipality.longitude


def near_resolve(text: str) -> Point | Region | None:
    """A point for a place, postcode or coordinates; a region for a region's name; or None."""
    text = text.strip()
    if not text:
        return None
    if match := _COORDINATES.match(text):
        lat, lon = float(match.group(1)), float(match.group(2))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return lat, lon
        return None
    if match := _POSTCODE.match(text):
        return _postcode_point(match.group(1))
    place = place_resolve(text)
    if place is None:
        return None
    located = place.locality or place.municipality
    if located is None:
        return place.region
    return located.latitude, located.longitude


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance between two points in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(point: Point, radius_km: float) -> tuple[float, float, float, float]:
    """(min lat, max lat, min lon, max lon) of a box holding the circle around the point."""
    lat, lon = point
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
