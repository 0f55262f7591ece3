"""What the demo studies are made of: per condition, what may be tested, by whom, where, for whom.

Each `Template` in `data/demo_templates.json` holds one condition (its names come from
`data/conditions.csv` by ICD-10 code) with the drugs, devices and methods that fit it, the
sponsors that run such studies, the kinds of care unit that take part, who may take part, and
eligibility criteria and outcomes in Swedish and English. `demo.py` draws studies from these and
nothing else, so a demo study never pairs radiotherapy with type 2 diabetes or a dental clinic
with an antifungal drug.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from studienav.registry.models import InterventionType, Sex, StudyType

DATA = Path(__file__).resolve().parent / "data" / "demo_templates.json"

Text = tuple[str, str]  # (Swedish, English)

# Kinds of care unit. Clinics are told by their names; a hospital stands in for the units none
# of its listed clinics has; primary care and dental care are their own organisation types.
ONCOLOGY = "oncology"
CARDIOLOGY = "cardiology"
RHEUMATOLOGY = "rheumatology"
NEUROLOGY = "neurology"
INFECTION = "infection"
HAEMATOLOGY = "haematology"
PAEDIATRICS = "paediatrics"
MEDICINE = "medicine"
OBSTETRICS = "obstetrics"
ORTHOPAEDICS = "orthopaedics"
SURGERY = "surgery"
PSYCHIATRY = "psychiatry"
DERMATOLOGY = "dermatology"
OPHTHALMOLOGY = "ophthalmology"
UROLOGY = "urology"
GERIATRICS = "geriatrics"
PRIMARY = "primary"
DENTAL = "dental"

UNITS = frozenset(
    {
        ONCOLOGY,
        CARDIOLOGY,
        RHEUMATOLOGY,
        NEUROLOGY,
        INFECTION,
        HAEMATOLOGY,
        PAEDIATRICS,
        MEDICINE,
        OBSTETRICS,
        ORTHOPAEDICS,
        SURGERY,
        PSYCHIATRY,
        DERMATOLOGY,
        OPHTHALMOLOGY,
        UROLOGY,
        GERIATRICS,
        PRIMARY,
        DENTAL,
    }
)
ADULT_HOSPITAL_UNITS = UNITS - {PAEDIATRICS, PRIMARY, DENTAL}
# What a county hospital without listed clinics does: specialised care is at the larger ones.
COUNTY_HOSPITAL_UNITS = frozenset({MEDICINE, ORTHOPAEDICS, GERIATRICS})
# Clinic names (Swedish) and the unit each names.
CLINIC_WORDS = (
    ("onkolog", ONCOLOGY),
    ("kardiolog", CARDIOLOGY),
    ("reumatolog", RHEUMATOLOGY),
    ("neurolog", NEUROLOGY),
    ("infektion", INFECTION),
    ("barnsjukhus", PAEDIATRICS),
    ("barn- och ungdom", PAEDIATRICS),
    ("medicinklinik", MEDICINE),
    ("medicinklinik", HAEMATOLOGY),
    ("kvinnoklinik", OBSTETRICS),
    ("ortoped", ORTHOPAEDICS),
)


@dataclass(frozen=True)
class Company:
    """An industry sponsor: its Swedish company name and the shape of its compound codes
    (`#` is a digit), e.g. AstraZeneca's `AZD####`."""

    name: str
    codes: tuple[str, ...] = ()


COMPANIES: dict[str, Company] = {
    "astrazeneca": Company("AstraZeneca AB", ("AZD####",)),
    "novonordisk": Company("Novo Nordisk Scandinavia AB", ("NNC####-####",)),
    "pfizer": Company("Pfizer AB", ("PF-0#######",)),
    "sobi": Company("Swedish Orphan Biovitrum AB (publ)", ("SOBI###",)),
    "msd": Company("Merck Sharp & Dohme (Sweden) AB", ("MK-####",)),
    "roche": Company("Roche AB", ("RO#######",)),
    "bayer": Company("Bayer AB", ("BAY #######",)),
    "boehringer": Company("Boehringer Ingelheim AB", ("BI ######",)),
    "lilly": Company("Eli Lilly Sweden AB", ("LY#######",)),
    "janssen": Company("Janssen-Cilag AB", ("JNJ-########",)),
    "gsk": Company("GlaxoSmithKline AB", ("GSK#######",)),
    "novartis": Company("Novartis Sverige AB", ("LNP###", "QGE###", "VAY###")),
    "sanofi": Company("Sanofi AB", ("SAR######",)),
    "bms": Company("Bristol-Myers Squibb AB", ("BMS-######",)),
    "abbvie": Company("AbbVie AB", ("ABBV-###",)),
    "amgen": Company("Amgen AB", ("AMG ###",)),
    "takeda": Company("Takeda Pharma AB", ("TAK-###",)),
    "ucb": Company("UCB Pharma AB", ("UCB####",)),
    "leo": Company("LEO Pharma AB", ("LEO ######",)),
    "bioarctic": Company("BioArctic AB", ("BAN####",)),
    "oncopeptides": Company("Oncopeptides AB", ("OPD###",)),
    "diamyd": Company("Diamyd Medical AB", ("DIAMYD###",)),
    # Makers of devices: their studies are clinical investigations, with no compound codes.
    "medtronic": Company("Medtronic AB"),
    "abbott": Company("Abbott Scandinavia AB"),
    "molnlycke": Company("Mölnlycke Health Care AB"),
    "stryker": Company("Stryker AB"),
    "sectra": Company("Sectra AB"),
    "getinge": Company("Getinge Sverige AB"),
    "dignitana": Company("Dignitana AB"),
    "nobelbiocare": Company("Nobel Biocare AB"),
    "boston": Company("Boston Scientific Nordic AB"),
}


@dataclass(frozen=True)
class Drug:
    """A medicine by its Swedish and English (INN) names; `owner` is the company that develops
    it, or "" for one any sponsor may study (off patent, or used in routine care)."""

    sv: str
    en: str
    owner: str = ""
    biological: bool = False


@dataclass(frozen=True)
class Treatment:
    """A device, procedure, programme or diet: what it is, what it is meant to do, who makes it
    (devices) and, when narrower than the condition's, which care units try it."""

    kind: str
    sv: str
    en: str
    aim: Text | None = None
    makers: tuple[str, ...] = ()
    units: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Template:
    """One condition and everything a coherent study of it is drawn from."""

    key: str
    icd10: str
    weight: int
    units: frozenset[str]
    aim: Text  # what a treatment should do, as an infinitive: "sänka blodsockret"
    people: Text  # who takes part: "personer med typ 2-diabetes"
    inclusion: tuple[Text, ...]
    exclusion: tuple[Text, ...]
    outcomes: tuple[Text, ...]
    observational: tuple[Text, ...]
    drugs: tuple[Drug, ...] = ()
    companies: tuple[str, ...] = ()  # industry sponsors of its drug trials
    devices: tuple[Treatment, ...] = ()
    methods: tuple[Treatment, ...] = ()
    sex: str = Sex.ALL
    ages: tuple[tuple[int, int | None], ...] = ((18, None),)
    funders: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # ICD-10 codes of conditions studied alongside
    healthy_volunteers: bool = False
    # Whether primary care centres take part in its drug trials (common chronic conditions).
    primary_care_drugs: bool = False
    # How titles name the condition when "vid <condition>" reads wrong.
    in_title: Text | None = None
    # Study types and their weights; by default from what the template offers.
    types: tuple[tuple[str, int], ...] = ()

    @property
    def is_paediatric(self) -> bool:
        return all(high is not None and high <= 17 for _low, high in self.ages)


def _text(value: Any) -> Text:
    sv, en = value
    return str(sv), str(en)


def _texts(values: list[Any]) -> tuple[Text, ...]:
    return tuple(_text(v) for v in values)


def _treatment(data: dict[str, Any], where: str) -> Treatment:
    if data["kind"] not in InterventionType.values:
        raise ValueError(f"{where}: unknown intervention type {data['kind']}")
    for maker in data.get("makers", ()):
        if maker not in COMPANIES:
            raise ValueError(f"{where}: unknown company {maker}")
    return Treatment(
        kind=data["kind"],
        sv=data["sv"],
        en=data["en"],
        aim=_text(data["aim"]) if "aim" in data else None,
        makers=tuple(data.get("makers", ())),
        units=_unit_set(data.get("units", ()), where),
    )


def _unit_set(names: list[str] | tuple[str, ...], where: str) -> frozenset[str]:
    unknown = set(names) - UNITS
    if unknown:
        raise ValueError(f"{where}: unknown care units {sorted(unknown)}")
    return frozenset(names)


def _template(data: dict[str, Any]) -> Template:
    key = data["key"]
    for company in data.get("companies", ()):
        if company not in COMPANIES:
            raise ValueError(f"{key}: unknown company {company}")
    drugs = tuple(
        Drug(d["sv"], d["en"], d.get("owner", ""), bool(d.get("biological")))
        for d in data.get("drugs", ())
    )
    for drug in drugs:
        if drug.owner and drug.owner not in COMPANIES:
            raise ValueError(f"{key}: unknown company {drug.owner}")
    types = tuple((kind, int(weight)) for kind, weight in data.get("types", {}).items())
    for kind, _weight in types:
        if kind not in StudyType.values:
            raise ValueError(f"{key}: unknown study type {kind}")
    sex = data.get("sex", Sex.ALL)
    if sex not in Sex.values:
        raise ValueError(f"{key}: unknown sex {sex}")
    return Template(
        key=key,
        icd10=data["icd10"],
        weight=int(data["weight"]),
        units=_unit_set(data["units"], key),
        aim=_text(data["aim"]),
        people=_text(data["people"]),
        inclusion=_texts(data["inclusion"]),
        exclusion=_texts(data["exclusion"]),
        outcomes=_texts(data["outcomes"]),
        observational=_texts(data["observational"]),
        drugs=drugs,
        companies=tuple(data.get("companies", ())),
        devices=tuple(_treatment(d, key) for d in data.get("devices", ())),
        methods=tuple(_treatment(d, key) for d in data.get("methods", ())),
        sex=sex,
        ages=tuple((int(low), None if high is None else int(high)) for low, high in data["ages"]),
        funders=tuple(data.get("funders", ())),
        related=tuple(data.get("related", ())),
        healthy_volunteers=bool(data.get("healthy_volunteers")),
        primary_care_drugs=bool(data.get("primary_care_drugs")),
        in_title=_text(data["in_title"]) if "in_title" in data else None,
        types=types,
    )


@cache
def templates() -> tuple[Template, ...]:
    """Every template, read and checked once: unknown units, types or companies fail loudly."""
    return tuple(_template(item) for item in json.loads(DATA.read_text(encoding="utf-8")))
