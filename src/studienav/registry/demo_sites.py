"""Where demo studies run and who runs them: the node's organisations by kind of care unit.

A clinic is told by its name (Onkologkliniken, Barn- och ungdomskliniken); a hospital stands in
for the units none of its listed clinics has; primary care and dental care are their own kinds.
A study's sites all have a unit its condition's template names, so a dental clinic never runs an
antifungal drug trial and a children's study runs at hospitals with a children's clinic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from studienav.core.audit import audit_record
from studienav.core.demo import DEMO_DOMAIN, REGION_SLUGS
from studienav.core.models import Organisation, OrganisationType, Region
from studienav.core.places import place_resolve
from studienav.registry import demo_templates as tpl
from studienav.registry.demo_templates import COMPANIES
from studienav.registry.models import StudyType

_REASON = "demo data"

# fmt: off
_FIRST_NAMES = [
    "Anders", "Birgitta", "Camilla", "Daniel", "Elin", "Fredrik", "Helena", "Jonas", "Karin",
    "Lars", "Maria", "Niklas", "Olof", "Petra", "Sofia", "Tomas", "Amira", "Johan", "Linnea",
    "Mikael", "Sara", "Emma", "Henrik", "Ingrid", "Kristina", "Magnus", "Anna", "Erik", "Yasmin",
    "Per",
]
_SURNAMES = [
    "Andersson", "Bergström", "Carlsson", "Dahl", "Eriksson", "Fransson", "Gustafsson", "Hedlund",
    "Isaksson", "Johansson", "Karlsson", "Lindgren", "Månsson", "Nilsson", "Persson", "Sjöberg",
    "Wallin", "Öberg", "Lundqvist", "Holmberg", "Ahmadi", "Nyberg", "Virtanen", "Engström",
    "Berglund", "Hassan", "Sandström", "Forsberg",
]
# fmt: on
_TRANSLITERATION = str.maketrans("åäöéü", "aaoeu")
# Area codes of the places the demo organisations are in; the region's main town otherwise.
# fmt: off
_AREA_CODES = {
    "Uppsala": "018", "Enköping": "0171", "Tierp": "0293", "Eskilstuna": "016",
    "Nyköping": "0155", "Katrineholm": "0150", "Strängnäs": "0152", "Karlstad": "054",
    "Arvika": "0570", "Torsby": "0560", "Sunne": "0565", "Örebro": "019", "Karlskoga": "0586",
    "Lindesberg": "0581", "Hallsberg": "0582", "Västerås": "021", "Köping": "0221",
    "Sala": "0224", "Fagersta": "0223", "Falun": "023", "Mora": "0250", "Ludvika": "0240",
    "Avesta": "0226", "Borlänge": "0243", "Gävle": "026", "Hudiksvall": "0650", "Bollnäs": "0278",
    "Iggesund": "0650",
}
_REGION_AREA_CODES = {
    "03": "018", "04": "016", "17": "054", "18": "019", "19": "021", "20": "023", "21": "026",
}
# fmt: on
# Sites beyond the node: other Swedish regions and abroad (name, city, region code, country).
_EXTRA_ORGANISATIONS = [
    ("Karolinska Universitetssjukhuset", "Stockholm", "01", "SE"),
    ("Sahlgrenska Universitetssjukhuset", "Göteborg", "14", "SE"),
    ("Skånes universitetssjukhus", "Lund", "12", "SE"),
    ("Norrlands universitetssjukhus", "Umeå", "24", "SE"),
    ("Universitetssjukhuset i Linköping", "Linköping", "05", "SE"),
    ("Rigshospitalet", "København", "", "DK"),
    ("Oslo universitetssykehus", "Oslo", "", "NO"),
    ("Helsingin yliopistollinen keskussairaala", "Helsinki", "", "FI"),
    ("Charité – Universitätsmedizin Berlin", "Berlin", "", "DE"),
]
# Region weights: larger regions lead more studies.
_REGION_WEIGHTS = {"03": 5, "04": 2, "17": 2, "18": 4, "19": 2, "20": 2, "21": 2}


@dataclass
class Pools:
    """Organisations and regions to draw from, loaded once."""

    regions: dict[str, Region]
    by_region: dict[str, list[Organisation]]
    universities: dict[str, Organisation]
    companies: dict[str, Organisation]
    beyond: list[Organisation]
    units: dict[int, frozenset[str]] = field(default_factory=dict)
    _candidates: dict[frozenset[str], dict[str, list[Organisation]]] = field(default_factory=dict)

    def candidates(self, units: frozenset[str]) -> dict[str, list[Organisation]]:
        """Per region, the node's organisations that have one of these kinds of unit."""
        found = self._candidates.get(units)
        if found is None:
            found = {
                code: [o for o in items if self.units[o.pk] & units]
                for code, items in self.by_region.items()
            }
            self._candidates[units] = found
        return found


def _extra_organisations() -> list[Organisation]:
    regions = {r.code: r for r in Region.objects.all()}
    found = []
    for name, city, region_code, country in _EXTRA_ORGANISATIONS:
        # The municipality lets the importers' matcher find the hospital by name and place.
        place = place_resolve(city) if country == "SE" else None
        organisation, created = Organisation.objects.get_or_create(
            name=name,
            country=country,
            defaults={
                "type": OrganisationType.HOSPITAL,
                "city": city,
                "region": regions.get(region_code),
                "municipality": place.municipality if place else None,
            },
        )
        if created:
            audit_record(
                actor=None,
                action="organisation.create",
                obj=organisation,
                before={},
                reason=_REASON,
            )
        found.append(organisation)
    return found


def organisation_units(organisation: Organisation, clinic_units: frozenset[str]) -> frozenset[str]:
    """The kinds of care unit an organisation stands for; `clinic_units` are those of its own
    listed clinics (a hospital stands in only for what none of them does)."""
    if organisation.type == OrganisationType.PRIMARY_CARE:
        return frozenset({tpl.PRIMARY})
    if organisation.type == OrganisationType.DENTAL:
        return frozenset({tpl.DENTAL})
    if organisation.type == OrganisationType.CLINIC:
        name = organisation.name.lower()
        return frozenset(unit for word, unit in tpl.CLINIC_WORDS if word in name)
    if organisation.type == OrganisationType.HOSPITAL:
        if clinic_units:
            return tpl.ADULT_HOSPITAL_UNITS - clinic_units
        return tpl.COUNTY_HOSPITAL_UNITS
    return frozenset()


def pools_load() -> Pools:
    regions = {r.code: r for r in Region.objects.filter(code__in=REGION_SLUGS)}
    care = (
        OrganisationType.HOSPITAL,
        OrganisationType.CLINIC,
        OrganisationType.PRIMARY_CARE,
        OrganisationType.DENTAL,
    )
    organisations = list(
        Organisation.objects.filter(region__code__in=REGION_SLUGS, type__in=care)
        .select_related("region")
        .order_by("id")
    )
    by_region: dict[str, list[Organisation]] = {code: [] for code in regions}
    clinics: dict[int, set[str]] = {}
    units: dict[int, frozenset[str]] = {}
    for organisation in organisations:
        assert organisation.region is not None
        by_region[organisation.region.code].append(organisation)
        if organisation.type == OrganisationType.CLINIC and organisation.parent_id:
            found = organisation_units(organisation, frozenset())
            clinics.setdefault(organisation.parent_id, set()).update(found)
    for organisation in organisations:
        own = frozenset(clinics.get(organisation.pk, ()))
        units[organisation.pk] = organisation_units(organisation, own)
    universities = {
        o.region.code: o
        for o in Organisation.objects.filter(
            region__code__in=REGION_SLUGS, type=OrganisationType.UNIVERSITY
        ).select_related("region")
        if o.region is not None
    }
    names = {c.name: key for key, c in COMPANIES.items()}
    companies = {names[o.name]: o for o in Organisation.objects.filter(name__in=names)}
    hospitals = OrganisationType.HOSPITAL
    missing = [c for c, items in by_region.items() if not any(o.type == hospitals for o in items)]
    if missing or len(regions) != len(REGION_SLUGS):
        raise RuntimeError("demo organisations are missing: run core's demo data first")
    beyond = _extra_organisations()
    for organisation in beyond:
        units[organisation.pk] = tpl.ADULT_HOSPITAL_UNITS | {tpl.PAEDIATRICS}
    return Pools(regions, by_region, universities, companies, beyond, units)


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_FIRST_NAMES), rng.choice(_SURNAMES)


def email_address(first: str, last: str, region_code: str) -> str:
    local = f"{first}.{last}".lower().translate(_TRANSLITERATION)
    return f"{local}@{REGION_SLUGS.get(region_code, 'region')}.{DEMO_DOMAIN}"


def phone_number(rng: random.Random, organisation: Organisation, region_code: str) -> str:
    """A Swedish number in the organisation's area: nine digits after the leading zero."""
    area = _AREA_CODES.get(organisation.city) or _REGION_AREA_CODES.get(region_code, "018")
    digits = f"{rng.randrange(10 ** (10 - len(area))):0{10 - len(area)}d}"
    digits = str(rng.randint(2, 9)) + digits[1:]
    if len(digits) == 7:
        return f"{area}-{digits[:3]} {digits[3:5]} {digits[5:]}"
    return f"{area}-{digits[:2]} {digits[2:4]} {digits[4:]}"


def sites_pick(
    rng: random.Random,
    pools: Pools,
    units: frozenset[str],
    *,
    industry: bool,
    study_type: str,
) -> tuple[str, list[Organisation]]:
    """The lead region and the sites, the lead site first; all of them fit the units."""
    candidates = pools.candidates(units)
    codes = [code for code in _REGION_WEIGHTS if candidates.get(code)]
    if not codes:
        raise ValueError(f"no organisation in the node has a unit of {sorted(units)}")
    lead = rng.choices(codes, [_REGION_WEIGHTS[c] for c in codes])[0]
    hospital_side = [
        o
        for o in candidates[lead]
        if o.type in (OrganisationType.HOSPITAL, OrganisationType.CLINIC)
    ]
    chosen = [rng.choice(hospital_side or candidates[lead])]
    if industry:
        count = rng.choices((2, 3, 4, 5), (30, 30, 25, 15))[0]
    elif study_type == StudyType.OBSERVATIONAL:
        count = rng.choices((1, 2, 3, 5, 7), (30, 25, 20, 15, 10))[0]
    else:
        count = rng.choices((1, 2, 3, 4, 6), (40, 25, 17, 10, 8))[0]
    weights = [_REGION_WEIGHTS[c] for c in codes]
    available = sum(len(candidates[code]) for code in codes)
    for _attempt in range(count * 4):
        if len(chosen) >= min(count, available):
            break
        candidate = rng.choice(candidates[rng.choices(codes, weights)[0]])
        if candidate not in chosen:
            chosen.append(candidate)
    hospital_units = units - {tpl.PRIMARY, tpl.DENTAL}
    if hospital_units and (industry or count >= 4) and rng.random() < 0.4:
        swedish = [o for o in pools.beyond if o.country == "SE"]
        abroad = [o for o in pools.beyond if o.country != "SE"]
        extra = rng.choice(abroad if industry and rng.random() < 0.5 else swedish)
        if extra not in chosen:
            chosen.append(extra)
    return lead, chosen
