"""Resolve a place or address, in any spelling, to its municipality and region.

`Gävle`, `Gavle` and `Gaevle` are the same place; so are `Göteborg` and `Gothenburg`.
Exact names win over folded ones, municipalities over localities, and a folded spelling
shared by two places (`Habo` and `Håbo`) resolves only through its exact form.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from studienav.core.models import Locality, Municipality, PlaceAlias, Region

# Words around a place name that say what kind of place it is, not which.
_NOISE_WORDS = {
    "kommun",
    "stad",
    "municipality",
    "region",
    "regionen",
    "lan",
    "laen",
    "county",
    "sweden",
    "sverige",
    "city",
}
_POSTCODE = re.compile(r"\b(?:SE-?)?\d{3}\s?\d{2}\b", re.IGNORECASE)


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: 'Upplands Väsby' -> 'upplandsvasby'."""
    text = text.casefold().replace("æ", "ae").replace("ø", "o").replace("ß", "ss")
    return re.sub(r"[^a-z0-9]", "", _strip_marks(text))


def fold_variants(text: str) -> set[str]:
    """The folded forms people type without Swedish letters: ä as a or ae, å as a or aa."""
    lowered = text.casefold()
    german = lowered.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return {fold(text), fold(german.replace("å", "aa")), fold(german.replace("å", "a"))}


def _exact(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class ResolvedPlace:
    region: Region
    municipality: Municipality | None = None
    locality: Locality | None = None


@dataclass(frozen=True)
class _Index:
    tiers: tuple[dict[str, set[ResolvedPlace]], ...]


def _add(tier: dict[str, set[ResolvedPlace]], keys: set[str], place: ResolvedPlace) -> None:
    for key in keys:
        if key:
            tier[key].add(place)


@cache
def _index() -> _Index:
    exact_municipality: dict[str, set[ResolvedPlace]] = defaultdict(set)
    exact_locality: dict[str, set[ResolvedPlace]] = defaultdict(set)
    aliases: dict[str, set[ResolvedPlace]] = defaultdict(set)
    folded_municipality: dict[str, set[ResolvedPlace]] = defaultdict(set)
    folded_locality: dict[str, set[ResolvedPlace]] = defaultdict(set)
    regions: dict[str, set[ResolvedPlace]] = defaultdict(set)

    municipalities = {m.pk: m for m in Municipality.objects.select_related("region")}
    for m in municipalities.values():
        place = ResolvedPlace(region=m.region, municipality=m)
        _add(exact_municipality, {_exact(m.name)}, place)
        _add(folded_municipality, fold_variants(m.name), place)
    for loc in Locality.objects.all():
        m = municipalities[loc.municipality_id]
        place = ResolvedPlace(region=m.region, municipality=m, locality=loc)
        _add(exact_locality, {_exact(loc.name)}, place)
        _add(folded_locality, fold_variants(loc.name), place)
    for alias in PlaceAlias.objects.select_related("locality"):
        if alias.municipality_id:
            m = municipalities[alias.municipality_id]
            place = ResolvedPlace(region=m.region, municipality=m)
        else:
            assert alias.locality is not None
            m = municipalities[alias.locality.municipality_id]
            place = ResolvedPlace(region=m.region, municipality=m, locality=alias.locality)
        _add(aliases, fold_variants(alias.alias), place)
    for region in Region.objects.all():
        names = fold_variants(region.short_name) | fold_variants(region.name)
        _add(regions, names, ResolvedPlace(region=region))
    return _Index(
        (
            exact_municipality,
            exact_locality,
            aliases,
            folded_municipality,
            folded_locality,
            regions,
        )
    )


def place_index_reset() -> None:
    """Forget the in-memory index (after reference data changes)."""
    _index.cache_clear()
    _names_by_fold.cache_clear()


def _lookup(name: str) -> ResolvedPlace | None:
    words = [w for w in name.split() if fold(w) not in _NOISE_WORDS]
    if not words:
        return None
    name = " ".join(words)
    keys = [_exact(name), *sorted(fold_variants(name))]
    for position, tier in enumerate(_index().tiers):
        lookup_keys = keys[:1] if position < 2 else keys[1:]
        found: set[ResolvedPlace] = set()
        for key in lookup_keys:
            found |= tier.get(key, set())
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            return None  # ambiguous: say nothing rather than guess
    return None


def place_resolve(text: str) -> ResolvedPlace | None:
    """The municipality and region of a place name or a free-text address, or None.

    Tries each comma-separated part of an address from the end ('Sjukhusvägen 1,
    751 85 Uppsala, Sweden'), then runs of words within a part ('Mora lasarett').
    """
    if not text or not text.strip():
        return None
    parts = [_POSTCODE.sub(" ", part).strip() for part in text.split(",")]
    parts = [p for p in parts if p]
    # A municipality or locality beats a region named elsewhere in the address ('Falun, Dalarna').
    region_only: ResolvedPlace | None = None
    for part in reversed(parts):
        found = _lookup(part)
        if found and found.municipality is not None:
            return found
        region_only = region_only or found
    if region_only is not None:
        return region_only
    for part in reversed(parts):
        words = [w for w in re.split(r"[\s/()]+", part) if w]
        for size in range(min(len(words), 4), 0, -1):
            for start in range(len(words) - size, -1, -1):
                run = words[start : start + size]
                if len(fold("".join(run))) < 3:
                    continue
                found = _lookup(" ".join(run))
                if found:
                    return found
    return None


@cache
def _names_by_fold() -> dict[str, str]:
    """Each municipality's and locality's folded name, to one of its written names."""
    names: dict[str, str] = {}
    for name in Municipality.objects.values_list("name", flat=True):
        names.setdefault(fold(name), name)
    for name in Locality.objects.values_list("name", flat=True):
        names.setdefault(fold(name), name)
    return names


def place_suggestions(text: str, *, limit: int = 3) -> list[str]:
    """Place names one or two letters from `text` ('Angeholm' -> 'Ängelholm'), nearest first."""
    key = fold(text)
    if len(key) < 4:
        return []
    names = _names_by_fold()
    matches = process.extract(
        key, list(names), scorer=Levenshtein.distance, score_cutoff=2, limit=limit
    )
    return [names[match] for match, _distance, _index in matches]
