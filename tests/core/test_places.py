"""Place resolution: every municipality by its name, by ASCII spellings, and in addresses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studienav.core.models import Locality, Municipality
from studienav.core.places import fold, fold_variants, place_resolve

pytestmark = pytest.mark.django_db


def test_every_municipality_resolves_by_its_official_name() -> None:
    municipalities = list(Municipality.objects.select_related("region"))
    assert len(municipalities) == 290
    for municipality in municipalities:
        place = place_resolve(municipality.name)
        assert place is not None, municipality.name
        assert place.municipality == municipality
        assert place.region == municipality.region


def test_every_municipality_resolves_by_its_ascii_spellings_unless_shared() -> None:
    municipalities = list(Municipality.objects.all())
    exact_names = {m.name.casefold() for m in municipalities}
    for municipality in municipalities:
        for spelling in fold_variants(municipality.name):
            readable = spelling if spelling not in exact_names else None
            if readable is None and spelling != municipality.name.casefold():
                continue  # another municipality is spelled exactly so (Habo for Håbo)
            place = place_resolve(spelling)
            assert place is not None and place.municipality == municipality, (
                municipality.name,
                spelling,
            )


@pytest.mark.parametrize(
    ("text", "municipality"),
    [
        ("Gävle", "Gävle"),
        ("Gavle", "Gävle"),
        ("Gaevle", "Gävle"),
        ("GÄVLE", "Gävle"),
        ("Linköping", "Linköping"),
        ("Linkoeping", "Linköping"),
        ("Umeå", "Umeå"),
        ("Umea", "Umeå"),
        ("Göteborg", "Göteborg"),
        ("Gothenburg", "Göteborg"),
        ("Goteborg", "Göteborg"),
        ("Örebro", "Örebro"),
        ("orebro", "Örebro"),
        ("Habo", "Habo"),
        ("Håbo", "Håbo"),
        ("Haabo", "Håbo"),
        ("Upplands-Väsby", "Upplands Väsby"),
        ("Malung Salen", "Malung-Sälen"),
        ("Uppsala kommun", "Uppsala"),
        ("Sjukhusvägen 1, 751 85 Uppsala, Sweden", "Uppsala"),
        ("Mora lasarett", "Mora"),
        ("Falun, Dalarna", "Falun"),
        ("SE-701 85 Örebro", "Örebro"),
    ],
)
def test_spellings_and_addresses_resolve(text: str, municipality: str) -> None:
    place = place_resolve(text)
    assert place is not None
    assert place.municipality is not None
    assert place.municipality.name == municipality


def test_locality_resolves_to_its_municipality() -> None:
    place = place_resolve("Visby")
    assert place is not None and place.municipality is not None
    assert place.municipality.code == "0980"
    assert place.region.code == "09"
    assert Locality.objects.filter(name="Visby").exists()


def test_region_name_alone_resolves_to_region_only() -> None:
    place = place_resolve("Region Gävleborg")
    assert place is not None
    assert place.municipality is None
    assert place.region.code == "21"


@pytest.mark.parametrize("text", ["", "   ", "Research Site", "Clinical Trial Unit", "12345"])
def test_non_places_resolve_to_nothing(text: str) -> None:
    assert place_resolve(text) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_resolution_never_fails_on_any_text(text: str) -> None:
    place_resolve(text)


@given(st.text(alphabet="aåäöeéAÅÄÖ -", max_size=20))
def test_fold_is_ascii_and_idempotent(text: str) -> None:
    folded = fold(text)
    assert folded.isascii()
    assert fold(folded) == folded
