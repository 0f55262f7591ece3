"""Match a registry location (name and place) to a known organisation, or create one.

`Uppsala University Hospital, Uppsala` is Akademiska sjukhuset through its aliases. A name
matches only in the same municipality (or city abroad): companies list many sites as
`Research Site`, and each city's is a site of its own. New organisations are flagged
`needs_review` for the coordinator to confirm or merge.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from django.utils.translation import gettext as _

from studienav.core.countries import UNKNOWN
from studienav.core.models import Municipality, Organisation, OrganisationType, Region
from studienav.core.places import fold, place_resolve, place_suggestions
from studienav.registry.schema import SiteRecord

# Words that say what kind of place it is; dropped before comparing names.
_GENERIC = ("the", "of", "och", "and")


@lru_cache(maxsize=65_536)  # an import asks for the same few hundred names thousands of times
def _name_key(name: str) -> str:
    words = [w for w in name.replace(",", " ").split() if w.casefold() not in _GENERIC]
    return fold(" ".join(words))


@lru_cache(maxsize=65_536)
def _folded(text: str) -> str:
    return fold(text)


def _guess_type(name: str) -> str:
    folded = name.casefold()
    if "vårdcentral" in folded or "hälsocentral" in folded or "primary care" in folded:
        return OrganisationType.PRIMARY_CARE
    if "tandvård" in folded or "dental" in folded:
        return OrganisationType.DENTAL
    if ("universitet" in folded and "sjukhus" not in folded) or folded.startswith("university of"):
        return OrganisationType.UNIVERSITY
    if any(w in folded for w in ("hospital", "sjukhus", "lasarett", "clinic", "klinik")):
        return OrganisationType.HOSPITAL
    return OrganisationType.OTHER


def _review_note(record: SiteRecord, *, placed: bool) -> str:
    """What the coordinator should check about an organisation an import had to create."""
    if record.country == UNKNOWN:
        if record.country_as_given:
            return _("The country %(country)s could not be read.") % {
                "country": repr(record.country_as_given)
            }
        return _("The source gave no country.")
    if record.country == "SE" and not placed:
        place = record.city or record.organisation
        suggestions = place_suggestions(place)
        if suggestions:
            return _("Could not tell which region %(place)s is in; did you mean %(names)s?") % {
                "place": repr(place),
                "names": ", ".join(suggestions),
            }
        return _("Could not tell which region %(place)s is in.") % {"place": repr(place)}
    return ""


class OrganisationMatcher:
    """An in-memory index of organisations for one import run (thousands of lookups)."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[Organisation]] = defaultdict(list)
        self._created: list[Organisation] = []
        self._places: dict[tuple[str, ...], tuple[Region | None, Municipality | None]] = {}
        self._regions = {r.code: r for r in Region.objects.all()}
        for organisation in Organisation.objects.select_related("municipality", "region"):
            self._add(organisation)

    def _add(self, organisation: Organisation) -> None:
        names = {organisation.name, organisation.name_en, *(organisation.aliases or [])}
        for name in names:
            if name:
                self._by_name[_name_key(name)].append(organisation)

    def _place(self, record: SiteRecord) -> tuple[Region | None, Municipality | None]:
        if record.country != "SE":
            return None, None
        key = (record.postal_code, record.city, record.organisation, record.region or "")
        if key not in self._places:
            self._places[key] = self._resolve_place(record)
        return self._places[key]

    def _resolve_place(self, record: SiteRecord) -> tuple[Region | None, Municipality | None]:
        place = place_resolve(", ".join(p for p in (record.postal_code, record.city) if p))
        if place is None:
            place = place_resolve(record.organisation)
        if place is not None:
            return place.region, place.municipality
        if record.region and record.region in self._regions:
            return self._regions[record.region], None
        return None, None

    def match(self, record: SiteRecord) -> tuple[Organisation, bool]:
        """The organisation for a site record, and whether it had to be created."""
        region, municipality = self._place(record)
        candidates = self._by_name.get(_name_key(record.organisation), [])
        for organisation in candidates:
            if record.country != organisation.country:
                continue
            if record.country == "SE":
                if municipality is not None and organisation.municipality_id == municipality.pk:
                    return organisation, False
                if (
                    municipality is None
                    and region is not None
                    and organisation.region_id == region.pk
                ):
                    return organisation, False
                if (  # a town it could not place, as the same text placed nowhere last time
                    region is None
                    and organisation.region_id is None
                    and _folded(organisation.city) == _folded(record.city)
                ):
                    return organisation, False
            elif _folded(organisation.city) == _folded(record.city):
                return organisation, False
        organisation = Organisation(
            name=record.organisation,
            type=_guess_type(record.organisation),
            country=record.country,
            region=region,
            municipality=municipality,
            city=record.city or (municipality.name if municipality else ""),
            postal_code=record.postal_code,
            latitude=record.latitude
            if record.latitude is not None
            else (municipality.latitude if municipality else None),
            longitude=record.longitude
            if record.longitude is not None
            else (municipality.longitude if municipality else None),
            needs_review=True,
            review_note=_review_note(record, placed=region is not None),
        )
        organisation.full_clean(validate_constraints=False)
        organisation.save()
        self._add(organisation)
        self._created.append(organisation)
        return organisation, True

    def mark(self) -> int:
        """A point to return to if the transaction that follows is rolled back."""
        return len(self._created)

    def forget_since(self, mark: int) -> None:
        """Forget organisations created after `mark`: their transaction was rolled back."""
        for organisation in self._created[mark:]:
            for names in self._by_name.values():
                if organisation in names:
                    names.remove(organisation)
        del self._created[mark:]
