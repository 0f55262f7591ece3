"""Sweden's reference geography: healthcare regions, nodes, regions, municipalities, localities.

Loaded by a data migration and idempotent, so tests that empty the database can load it again.
Municipality codes and names follow Statistics Sweden (SCB); coordinates are of each seat.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

# slug, Swedish name, English name
HEALTHCARE_REGIONS = [
    ("norra", "Norra sjukvårdsregionen", "Northern Healthcare Region"),
    ("mellansverige", "Sjukvårdsregion Mellansverige", "Central Sweden Healthcare Region"),
    (
        "stockholm-gotland",
        "Sjukvårdsregion Stockholm-Gotland",
        "Stockholm-Gotland Healthcare Region",
    ),
    ("vastra", "Västra sjukvårdsregionen", "Western Healthcare Region"),
    ("sydostra", "Sydöstra sjukvårdsregionen", "South-East Healthcare Region"),
    ("sodra", "Södra sjukvårdsregionen", "Southern Healthcare Region"),
]

# slug, name, healthcare region
NODES = [
    ("forum-norr", "Forum Norr", "norra"),
    ("forum-mellansverige", "Forum Mellansverige", "mellansverige"),
    ("forum-stockholm-gotland", "Forum Stockholm-Gotland", "stockholm-gotland"),
    ("gothia-forum", "Gothia Forum", "vastra"),
    ("forum-sydost", "Forum Sydost", "sydostra"),
    ("forum-soder", "Forum Söder", "sodra"),
]

# code, official name, short name, English name, healthcare regions, reporting node.
# Halland lies in two healthcare regions (north in Västra, south in Södra) and reports to one node.
REGIONS = [
    (
        "01",
        "Region Stockholm",
        "Stockholm",
        "Region Stockholm",
        ["stockholm-gotland"],
        "forum-stockholm-gotland",
    ),
    ("03", "Region Uppsala", "Uppsala", "Region Uppsala", ["mellansverige"], "forum-mellansverige"),
    (
        "04",
        "Region Sörmland",
        "Sörmland",
        "Region Sörmland",
        ["mellansverige"],
        "forum-mellansverige",
    ),
    (
        "05",
        "Region Östergötland",
        "Östergötland",
        "Region Östergötland",
        ["sydostra"],
        "forum-sydost",
    ),
    (
        "06",
        "Region Jönköpings län",
        "Jönköping",
        "Region Jönköping County",
        ["sydostra"],
        "forum-sydost",
    ),
    ("07", "Region Kronoberg", "Kronoberg", "Region Kronoberg", ["sodra"], "forum-soder"),
    ("08", "Region Kalmar län", "Kalmar", "Region Kalmar County", ["sydostra"], "forum-sydost"),
    (
        "09",
        "Region Gotland",
        "Gotland",
        "Region Gotland",
        ["stockholm-gotland"],
        "forum-stockholm-gotland",
    ),
    ("10", "Region Blekinge", "Blekinge", "Region Blekinge", ["sodra"], "forum-soder"),
    ("12", "Region Skåne", "Skåne", "Region Skåne", ["sodra"], "forum-soder"),
    ("13", "Region Halland", "Halland", "Region Halland", ["vastra", "sodra"], "forum-soder"),
    (
        "14",
        "Västra Götalandsregionen",
        "Västra Götaland",
        "Region Västra Götaland",
        ["vastra"],
        "gothia-forum",
    ),
    (
        "17",
        "Region Värmland",
        "Värmland",
        "Region Värmland",
        ["mellansverige"],
        "forum-mellansverige",
    ),
    (
        "18",
        "Region Örebro län",
        "Örebro län",
        "Region Örebro County",
        ["mellansverige"],
        "forum-mellansverige",
    ),
    (
        "19",
        "Region Västmanland",
        "Västmanland",
        "Region Västmanland",
        ["mellansverige"],
        "forum-mellansverige",
    ),
    ("20", "Region Dalarna", "Dalarna", "Region Dalarna", ["mellansverige"], "forum-mellansverige"),
    (
        "21",
        "Region Gävleborg",
        "Gävleborg",
        "Region Gävleborg",
        ["mellansverige"],
        "forum-mellansverige",
    ),
    (
        "22",
        "Region Västernorrland",
        "Västernorrland",
        "Region Västernorrland",
        ["norra"],
        "forum-norr",
    ),
    (
        "23",
        "Region Jämtland Härjedalen",
        "Jämtland Härjedalen",
        "Region Jämtland Härjedalen",
        ["norra"],
        "forum-norr",
    ),
    ("24", "Region Västerbotten", "Västerbotten", "Region Västerbotten", ["norra"], "forum-norr"),
    ("25", "Region Norrbotten", "Norrbotten", "Region Norrbotten", ["norra"], "forum-norr"),
]


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def reference_data_load(apps: Any = None) -> None:
    """Create or update all reference geography. `apps` is the migration's app registry."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    healthcare_region_model = apps.get_model("core", "HealthcareRegion")
    node_model = apps.get_model("core", "RegionalNode")
    region_model = apps.get_model("core", "Region")
    municipality_model = apps.get_model("core", "Municipality")
    locality_model = apps.get_model("core", "Locality")
    alias_model = apps.get_model("core", "PlaceAlias")

    healthcare_regions = {}
    for slug, name, name_en in HEALTHCARE_REGIONS:
        healthcare_regions[slug], _ = healthcare_region_model.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en}
        )
    nodes = {}
    for slug, name, healthcare_region in NODES:
        nodes[slug], _ = node_model.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "healthcare_region": healthcare_regions[healthcare_region]},
        )
    regions = {}
    for code, name, short_name, name_en, in_healthcare_regions, node in REGIONS:
        region, _ = region_model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "short_name": short_name,
                "name_en": name_en,
                "node": nodes[node],
            },
        )
        region.healthcare_regions.set([healthcare_regions[s] for s in in_healthcare_regions])
        regions[code] = region

    municipalities = {}
    for row in read_csv("municipalities.csv"):
        municipalities[row["code"]], _ = municipality_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "region": regions[row["region_code"]],
                "latitude": float(row["latitude"]),
                "longitude": float(row["longitude"]),
            },
        )
    localities: dict[str, Any] = {}
    for row in read_csv("localities.csv"):
        locality, _ = locality_model.objects.update_or_create(
            name=row["name"],
            municipality=municipalities[row["municipality_code"]],
            defaults={"latitude": float(row["latitude"]), "longitude": float(row["longitude"])},
        )
        localities.setdefault(row["name"], locality)
    by_name = {m.name: m for m in municipalities.values()}
    for row in read_csv("place_aliases.csv"):
        target_municipality = by_name.get(row["name"])
        alias_model.objects.update_or_create(
            alias=row["alias"],
            defaults={
                "municipality": target_municipality,
                "locality": None if target_municipality else localities[row["name"]],
            },
        )
