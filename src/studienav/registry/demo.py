"""Demo studies: about 120 realistic records through the audited services, or N synthetic ones fast.

`studienav demo-data` loads the realistic set (idempotent: identifiers are the key). With
`--studies N` it generates N synthetic studies in bulk for scale tests: rows are written with
bulk_create in batches, and one audit event records the whole generation. Both draw their
text from templates over the condition vocabulary in `data/conditions.csv`, deterministic for
a given seed (statuses follow the dates as seen from today).
"""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from django.db import connection, models
from django.utils import timezone

from studienav.core.audit import audit_record
from studienav.core.demo import DEMO_DOMAIN, REGION_SLUGS
from studienav.core.models import Organisation, OrganisationType, Region, User
from studienav.core.places import place_resolve
from studienav.registry.icd10 import icd10_chapter
from studienav.registry.models import (
    EnrolmentReport,
    EthicsStatus,
    IdentifierScheme,
    InterventionType,
    OutcomeKind,
    OverallStatus,
    Phase,
    Sex,
    Site,
    SiteStatus,
    SponsorType,
    Study,
    StudyCondition,
    StudyIdentifier,
    StudyIntervention,
    StudyOutcome,
    StudyState,
    StudyType,
)
from studienav.registry.organisations import OrganisationMatcher
from studienav.registry.records import Outcome, record_apply, registry_statistics_refresh
from studienav.registry.schema import StudyRecord
from studienav.registry.services import site_set_recruitment, study_return, study_update

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_STUDIES = 120
SYNTHETIC_SOURCE = "synthetic"
_REASON = "demo data"
_BATCH = 2000
_SQLITE_CACHE_KIB = 512 * 1024

# --- the condition vocabulary ---------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    icd10: str
    name_sv: str
    name_en: str
    synonyms_sv: tuple[str, ...]
    synonyms_en: tuple[str, ...]


@cache
def conditions() -> tuple[Condition, ...]:
    """The vocabulary: ICD-10 code, Swedish and English names and synonyms (`;`-separated)."""
    with (DATA_DIR / "conditions.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(
            Condition(
                icd10=row["icd10"],
                name_sv=row["name_sv"],
                name_en=row["name_en"],
                synonyms_sv=tuple(s for s in row["synonyms_sv"].split(";") if s),
                synonyms_en=tuple(s for s in row["synonyms_en"].split(";") if s),
            )
            for row in csv.DictReader(handle)
        )


@cache
def _chapters() -> dict[str, str]:
    return {c.icd10: icd10_chapter(c.icd10) or "" for c in conditions()}


# --- text templates ---------------------------------------------------------------------------

_DRUGS_BY_CHAPTER = {
    "II": ["pembrolizumab", "nivolumab", "olaparib", "trastuzumab deruxtecan", "osimertinib"],
    "III": ["emicizumab", "luspatercept", "efgartigimod"],
    "IV": ["semaglutid", "empagliflozin", "tirzepatid", "metformin", "levotyroxin"],
    "V": ["esketamin", "sertralin", "psilocybin", "lisdexamfetamin"],
    "VI": ["lekanemab", "ocrelizumab", "erenumab", "levetiracetam"],
    "IX": ["apixaban", "dapagliflozin", "sakubitril/valsartan", "kolkicin", "inklisiran"],
    "X": ["dupilumab", "tezepelumab", "nintedanib", "budesonid/formoterol"],
    "XI": ["vedolizumab", "upadacitinib", "ustekinumab"],
    "XII": ["abrocitinib", "bimekizumab", "tralokinumab"],
    "XIII": ["baricitinib", "denosumab", "romosozumab", "sekukinumab"],
    "XIV": ["finerenon", "sparsentan", "mirabegron"],
}
_CODE_PREFIXES = ["AZD", "SOBI", "NNC", "PF-0", "RO7", "MK-", "UU-", "ORU-"]
_COMPARATORS_SV = ("placebo", "standardbehandling", "aktiv kontroll")
_COMPARATORS_EN = ("placebo", "standard care", "active control")
_DEVICES = [
    ("digital egenvårdsapp", "digital self-care app"),
    ("kontinuerlig glukosmätare", "continuous glucose monitor"),
    ("implanterbar hjärtmonitor", "implantable cardiac monitor"),
    ("ny höftprotes", "new hip prosthesis"),
    ("AI-stöd för bilddiagnostik", "AI-assisted image diagnosis"),
    ("sårförband med silver", "silver wound dressing"),
]
_INTERVENTIONS = [
    ("fysisk träning", "physical exercise", InterventionType.BEHAVIOURAL),
    ("internetbaserad KBT", "internet-based CBT", InterventionType.BEHAVIOURAL),
    ("kostbehandling", "dietary treatment", InterventionType.DIETARY),
    ("tidig kirurgi", "early surgery", InterventionType.PROCEDURE),
    ("sjuksköterskeledd uppföljning", "nurse-led follow-up", InterventionType.OTHER),
    (
        "strålbehandling i färre fraktioner",
        "hypofractionated radiotherapy",
        InterventionType.RADIATION,
    ),
]
_OBSERVATIONAL = [
    (
        "Långtidsuppföljning av patienter med {sv}",
        "Long-term follow-up of patients with {en}",
    ),
    ("Registerstudie av {sv} i Mellansverige", "Register study of {en} in central Sweden"),
    ("Biomarkörer för tidig upptäckt av {sv}", "Biomarkers for early detection of {en}"),
    ("Livskvalitet hos personer med {sv}", "Quality of life in people with {en}"),
]
_FIRST_NAMES = ["Anders", "Birgitta", "Camilla", "Daniel", "Elin", "Fredrik", "Helena", "Jonas"]
_FIRST_NAMES += ["Karin", "Lars", "Maria", "Niklas", "Olof", "Petra", "Sofia", "Tomas"]
_SURNAMES = ["Andersson", "Bergström", "Carlsson", "Dahl", "Eriksson", "Fransson", "Gustafsson"]
_SURNAMES += ["Hedlund", "Isaksson", "Johansson", "Karlsson", "Lindgren", "Månsson", "Nilsson"]
_ACADEMIC_FUNDERS = ["Vetenskapsrådet", "Regionala forskningsrådet Mellansverige", "ALF-medel"]
_INDUSTRY_SPONSORS = [
    "AstraZeneca AB",
    "Novo Nordisk Scandinavia AB",
    "Pfizer AB",
    "Swedish Orphan Biovitrum AB (publ)",
    "Merck Sharp & Dohme (Sweden) AB",
    "Roche AB",
]
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
# Region weights: larger regions run more studies.
_REGION_WEIGHTS = {"03": 5, "04": 2, "17": 2, "18": 4, "19": 2, "20": 2, "21": 2}
_STUDY_TYPES = [
    (StudyType.DRUG, 40),
    (StudyType.DEVICE, 12),
    (StudyType.OTHER_INTERVENTIONAL, 23),
    (StudyType.OBSERVATIONAL, 25),
]
_PHASES = [Phase.PHASE_1, Phase.PHASE_2, Phase.PHASE_3, Phase.PHASE_3, Phase.PHASE_4]
_PHASES += [Phase.PHASE_1_2, Phase.PHASE_2_3, Phase.PHASE_2]
_FIRST_DAY = date(2016, 1, 1)
_SPAN_DAYS = (date(2026, 9, 30) - _FIRST_DAY).days


@dataclass
class SiteDraft:
    organisation: Organisation
    status: str
    target: int
    actual: int | None
    start: date | None
    investigator: str
    contact_email: str
    reports: list[tuple[date, int]] = field(default_factory=list)


@dataclass
class StudyDraft:
    """One drawn study, written either as an exchange record or as rows in bulk."""

    fields: dict[str, Any]
    state: str
    lead_region: Region
    sponsor: Organisation | None
    conditions: list[Condition]
    interventions: list[tuple[str, str, str]]
    outcomes: list[tuple[str, str, str]]
    identifiers: list[tuple[str, str]]
    sites: list[SiteDraft]
    confirmed_days_ago: int = 0


@dataclass
class Pools:
    """Organisations and regions to draw from, loaded once."""

    regions: dict[str, Region]
    by_region: dict[str, list[Organisation]]
    leads: dict[str, list[Organisation]]
    universities: dict[str, Organisation]
    companies: dict[str, Organisation]
    beyond: list[Organisation]


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
    for organisation in organisations:
        assert organisation.region is not None
        by_region[organisation.region.code].append(organisation)
    leads = {
        code: [o for o in items if o.type in (OrganisationType.HOSPITAL, OrganisationType.CLINIC)]
        for code, items in by_region.items()
    }
    universities = {
        o.region.code: o
        for o in Organisation.objects.filter(
            region__code__in=REGION_SLUGS, type=OrganisationType.UNIVERSITY
        ).select_related("region")
        if o.region is not None
    }
    companies = {o.name: o for o in Organisation.objects.filter(name__in=_INDUSTRY_SPONSORS)}
    missing = [code for code, items in leads.items() if not items]
    if missing or len(regions) != len(REGION_SLUGS):
        raise RuntimeError("demo organisations are missing: run core's demo data first")
    return Pools(regions, by_region, leads, universities, companies, _extra_organisations())


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_FIRST_NAMES), rng.choice(_SURNAMES)


def _email(first: str, last: str, region_code: str) -> str:
    local = f"{first}.{last}".lower().translate(str.maketrans("åäöé", "aaoe"))
    return f"{local}@{REGION_SLUGS.get(region_code, 'region')}.{DEMO_DOMAIN}"


def _drug(rng: random.Random, chapter: str) -> str:
    names = _DRUGS_BY_CHAPTER.get(chapter)
    if names and rng.random() < 0.6:
        return rng.choice(names)
    return f"{rng.choice(_CODE_PREFIXES)}{rng.randint(1000, 9999)}"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _texts(
    rng: random.Random, study_type: str, condition: Condition, chapter: str
) -> dict[str, Any]:
    """Titles, summaries, criteria and the intervention, in Swedish and English."""
    sv, en = condition.name_sv, condition.name_en
    months = rng.choice((6, 12, 24, 36))
    interventions: list[tuple[str, str, str]] = []
    if study_type == StudyType.DRUG:
        drug = _drug(rng, chapter)
        index = rng.randrange(len(_COMPARATORS_SV))
        comparator_sv, comparator_en = _COMPARATORS_SV[index], _COMPARATORS_EN[index]
        title_sv = f"{_upper_first(drug)} jämfört med {comparator_sv} vid {sv}"
        title_en = f"{_upper_first(drug)} versus {comparator_en} in {en}"
        scientific = (
            f"A randomised, double-blind, {comparator_en}-controlled trial of the efficacy "
            f"and safety of {drug} in adults with {en}"
        )
        summary_sv = (
            f"Studien undersöker om läkemedlet {drug} kan minska besvären hos personer med "
            f"{sv}. Deltagarna lottas till {drug} eller {comparator_sv} och följs i {months} "
            "månader med besök på mottagningen och blodprover."
        )
        summary_en = (
            f"The study tests whether the medicine {drug} eases the symptoms of people with "
            f"{en}. Participants are randomly given {drug} or {comparator_en} and followed for "
            f"{months} months with clinic visits and blood tests."
        )
        interventions.append((InterventionType.DRUG, drug, f"{drug} compared with {comparator_en}"))
        outcome = f"Change in disease activity of {en} from baseline"
    elif study_type == StudyType.DEVICE:
        device_sv, device_en = rng.choice(_DEVICES)
        title_sv = f"{_upper_first(device_sv)} för personer med {sv}"
        title_en = f"{_upper_first(device_en)} for people with {en}"
        scientific = f"A clinical investigation of a {device_en} in patients with {en}"
        summary_sv = (
            f"Vi prövar om en {device_sv} gör vården bättre för personer med {sv}. "
            f"Deltagarna använder den i {months} månader och jämförs med vanlig vård."
        )
        summary_en = (
            f"We test whether a {device_en} improves care for people with {en}. Participants "
            f"use it for {months} months and are compared with usual care."
        )
        interventions.append((InterventionType.DEVICE, device_en, ""))
        outcome = f"Clinical performance of the {device_en} at {months} months"
    elif study_type == StudyType.OTHER_INTERVENTIONAL:
        method_sv, method_en, kind = rng.choice(_INTERVENTIONS)
        title_sv = f"{_upper_first(method_sv)} vid {sv}: en randomiserad studie"
        title_en = f"{_upper_first(method_en)} for {en}: a randomised trial"
        scientific = f"Randomised controlled trial of {method_en} compared with usual care in {en}"
        summary_sv = (
            f"Studien jämför {method_sv} med vanlig vård för personer med {sv}. "
            f"Vi mäter hur deltagarna mår efter {months} månader."
        )
        summary_en = (
            f"The study compares {method_en} with usual care for people with {en}. "
            f"We measure how participants feel after {months} months."
        )
        interventions.append((kind, method_en, ""))
        outcome = f"Health-related quality of life at {months} months"
    else:
        template_sv, template_en = rng.choice(_OBSERVATIONAL)
        title_sv, title_en = template_sv.format(sv=sv), template_en.format(en=en)
        scientific = f"A prospective cohort study of {en}: course, outcomes and biomarkers"
        summary_sv = (
            f"Vi följer personer med {sv} under {months} månader för att förstå hur sjukdomen "
            "utvecklas. Deltagandet innebär enkäter och prover vid ordinarie besök."
        )
        summary_en = (
            f"We follow people with {en} for {months} months to understand how the disease "
            "develops. Taking part means questionnaires and samples at regular visits."
        )
        outcome = f"Incidence of complications of {en} during follow-up"
    return {
        "public_title": title_sv,
        "public_title_en": title_en,
        "scientific_title": scientific,
        "summary_sv": summary_sv,
        "summary_en": summary_en,
        "inclusion_criteria": f"Diagnosed {en}; able to give informed consent.",
        "exclusion_criteria": "Pregnancy; severe kidney or liver disease; other trial within "
        "30 days.",
        "keywords": [sv, en, *condition.synonyms_sv[:1]],
        "interventions": interventions,
        "outcomes": [
            (OutcomeKind.PRIMARY, outcome, f"{months} months"),
            (OutcomeKind.SECONDARY, "Adverse events", f"{months} months"),
        ],
    }


def _status(start: date, end: date, today: date, rng: random.Random) -> str:
    if start > today:
        return OverallStatus.NOT_YET_RECRUITING
    if end < today:
        return OverallStatus.TERMINATED if rng.random() < 0.06 else OverallStatus.COMPLETED
    roll = rng.random()
    if roll < 0.65:
        return OverallStatus.RECRUITING
    if roll < 0.8:
        return OverallStatus.ACTIVE_NOT_RECRUITING
    if roll < 0.92:
        return OverallStatus.ENROLLING_BY_INVITATION
    return OverallStatus.SUSPENDED


_SITE_STATUS = {
    OverallStatus.NOT_YET_RECRUITING: SiteStatus.NOT_YET_RECRUITING,
    OverallStatus.RECRUITING: SiteStatus.RECRUITING,
    OverallStatus.ENROLLING_BY_INVITATION: SiteStatus.BY_INVITATION,
    OverallStatus.ACTIVE_NOT_RECRUITING: SiteStatus.CLOSED,
    OverallStatus.SUSPENDED: SiteStatus.PAUSED,
}


def _identifiers(
    study_type: str, start: date, seq: int, *, demo: bool, rng: random.Random
) -> list[tuple[str, str]]:
    """Identifiers that pass validation and never collide between the two modes.

    The realistic set uses NCT09..., `-01` suffixes and 9-prefixed numbers; the generator
    NCT08... and suffixes from 10 up, numbered by its running sequence.
    """
    this_year = timezone.localdate().year
    year = min(max(start.year - (1 if start.month < 6 else 0), 2016), this_year)
    low, high = seq % 100_000, 10 + (seq // 100_000) % 90
    found: list[tuple[str, str]] = []
    if year >= 2019:
        ethics = f"{year}-9{seq:04d}-01" if demo else f"{year}-{low:05d}-{high:02d}"
    else:
        ethics = f"{year}/9{seq:04d}-01" if demo else f"{year}/{low}-{high}"
    found.append((IdentifierScheme.ETHICS, ethics))
    if study_type != StudyType.OBSERVATIONAL or rng.random() < 0.3:
        if demo:
            found.append((IdentifierScheme.NCT, f"NCT09{seq:06d}"))
        elif seq < 1_000_000:
            found.append((IdentifierScheme.NCT, f"NCT08{seq:06d}"))
    if study_type == StudyType.DRUG:
        if year >= 2023:
            tail = f"9{seq:04d}-01" if demo else f"{low:05d}-{high:02d}"
            found.append((IdentifierScheme.EU_CT, f"{year}-5{tail}-00"))
        else:
            tail = f"9{seq:05d}-01" if demo else f"{seq % 1_000_000:06d}-{high:02d}"
            found.append((IdentifierScheme.EUDRACT, f"{year}-{tail}"))
    return found


def _pick_sites(rng: random.Random, pools: Pools, lead: str, count: int) -> list[Organisation]:
    chosen = [rng.choice(pools.leads[lead])]
    codes = list(pools.by_region)
    while len(chosen) < count:
        candidate = rng.choice(pools.by_region[rng.choice(codes)])
        if candidate not in chosen:
            chosen.append(candidate)
    if rng.random() < 0.25:
        extra = rng.choice(pools.beyond)
        if extra not in chosen:
            chosen.append(extra)
    return chosen


def _reports(rng: random.Random, start: date, until: date, actual: int) -> list[tuple[date, int]]:
    if actual <= 0 or until <= start:
        return []
    count = rng.randint(1, 3)
    span = (until - start).days
    days = sorted({rng.randint(1, span) for _ in range(count)})
    values = [*sorted(rng.randint(0, actual) for _ in days[:-1]), actual]
    return [(start + timedelta(days=d), v) for d, v in zip(days, values, strict=True)]


_STATE_WEIGHTS = [
    (StudyState.PUBLISHED, 70),
    (StudyState.DRAFT, 6),
    (StudyState.SUBMITTED, 6),
    (StudyState.RETURNED, 3),
    (StudyState.WITHDRAWN, 2),
    (StudyState.ARCHIVED, 1),
]


def study_draw(
    rng: random.Random, pools: Pools, seq: int, today: date, *, demo: bool = False
) -> StudyDraft:
    """One realistic study: type, condition, text, dates, status, sites and identifiers."""
    study_type = rng.choices([t for t, _w in _STUDY_TYPES], [w for _t, w in _STUDY_TYPES])[0]
    vocabulary = conditions()
    condition = rng.choice(vocabulary)
    chapter = _chapters()[condition.icd10]
    picked = [condition]
    if rng.random() < 0.2:
        other = rng.choice(vocabulary)
        if other != condition:
            picked.append(other)
    texts = _texts(rng, study_type, condition, chapter)
    codes = list(_REGION_WEIGHTS)
    lead = rng.choices(codes, [_REGION_WEIGHTS[c] for c in codes])[0]
    industry = study_type == StudyType.DRUG and rng.random() < 0.55
    sponsor_type = SponsorType.INDUSTRY if industry else SponsorType.ACADEMIC
    if study_type == StudyType.DEVICE and rng.random() < 0.4:
        sponsor_type = SponsorType.INDUSTRY
    if industry or sponsor_type == SponsorType.INDUSTRY:
        sponsor_name = rng.choice(_INDUSTRY_SPONSORS)
        sponsor = pools.companies.get(sponsor_name)
    else:
        sponsor = pools.universities.get(lead)
        sponsor_name = sponsor.name if sponsor else f"Region {pools.regions[lead].short_name}"
    # More recent years hold more studies: the registry keeps planned and ongoing ones.
    start = _FIRST_DAY + timedelta(days=int(_SPAN_DAYS * rng.random() ** 0.6))
    end = start + timedelta(days=rng.randint(365, 5 * 365))
    status = _status(start, end, today, rng)
    state = rng.choices([s for s, _w in _STATE_WEIGHTS], [w for _s, w in _STATE_WEIGHTS])[0]
    if state == StudyState.PUBLISHED and status in (
        OverallStatus.COMPLETED,
        OverallStatus.TERMINATED,
    ):
        state = StudyState.COMPLETED
    target = rng.choice((20, 40, 60, 100, 150, 200, 300, 500, 1000))
    first, last = _person(rng)
    contact_email = _email(first, last, lead)
    site_count = rng.choices((1, 2, 3, 4, 5, 7), (25, 25, 20, 12, 10, 8))[0]
    sites: list[SiteDraft] = []
    started = start <= today
    over = status in (OverallStatus.COMPLETED, OverallStatus.TERMINATED)
    for organisation in _pick_sites(rng, pools, lead, site_count):
        site_start = start + timedelta(days=rng.randint(0, 120))
        site_target = max(5, target // site_count)
        actual = rng.randint(0, site_target) if site_start <= today else None
        if over:
            actual = rng.randint(site_target // 2, site_target)
        site_status = SiteStatus.CLOSED if over else _SITE_STATUS[OverallStatus(status)]
        pi_first, pi_last = _person(rng)
        region_code = organisation.region.code if organisation.region else ""
        until = min(end, today)
        sites.append(
            SiteDraft(
                organisation=organisation,
                status=site_status,
                target=site_target,
                actual=actual,
                start=site_start if started else None,
                investigator=f"{pi_first} {pi_last}",
                contact_email=_email(pi_first, pi_last, region_code),
                reports=_reports(rng, site_start, until, actual or 0),
            )
        )
    approved = start - timedelta(days=rng.randint(30, 200))
    min_age = rng.choice((18, 18, 18, 40, 50, 65, 0, 12))
    fields: dict[str, Any] = {
        "public_title": texts["public_title"],
        "public_title_en": texts["public_title_en"],
        "scientific_title": texts["scientific_title"],
        "summary_sv": texts["summary_sv"],
        "summary_en": texts["summary_en"],
        "inclusion_criteria": texts["inclusion_criteria"],
        "exclusion_criteria": texts["exclusion_criteria"],
        "keywords": texts["keywords"],
        "study_type": study_type,
        "phase": rng.choice(_PHASES) if study_type == StudyType.DRUG else Phase.NOT_APPLICABLE,
        "sponsor_type": sponsor_type,
        "primary_sponsor_name": sponsor_name,
        "funding_sources": [rng.choice(_ACADEMIC_FUNDERS)]
        if sponsor_type == SponsorType.ACADEMIC
        else [sponsor_name],
        "public_contact_name": f"{first} {last}",
        "public_contact_email": contact_email,
        "public_contact_phone": f"0{rng.randint(10, 99)}-{rng.randint(100000, 999999)}",
        "scientific_contact_name": sites[0].investigator,
        "scientific_contact_email": sites[0].contact_email,
        "scientific_contact_affiliation": sites[0].organisation.name,
        "min_age_years": min_age,
        "max_age_years": 17 if min_age == 0 else rng.choice((None, 75, 80, 85)),
        "sex": Sex.FEMALE if condition.icd10[0] in "NO" and rng.random() < 0.7 else Sex.ALL,
        "healthy_volunteers": study_type == StudyType.DRUG and rng.random() < 0.05,
        "in_hospital_care": True,
        "in_primary_care": rng.random() < 0.15,
        "in_dental_care": condition.icd10.startswith("K0"),
        "overall_status": status,
        "planned_start_date": start,
        "actual_start_date": start if started else None,
        "planned_end_date": end,
        "actual_end_date": end if over else None,
        "target_enrolment": target,
        "registered_on": approved + timedelta(days=rng.randint(1, 25)),
        "ethics_status": EthicsStatus.APPROVED if started else EthicsStatus.PENDING,
        "ethics_approved_on": approved if started else None,
        "ethics_committee": "Etikprövningsmyndigheten",
        "ipd_sharing": rng.choice(("yes", "no", "undecided")),
        "therapeutic_area": chapter,
    }
    return StudyDraft(
        fields=fields,
        state=state,
        lead_region=pools.regions[lead],
        sponsor=sponsor,
        conditions=picked,
        interventions=texts["interventions"],
        outcomes=texts["outcomes"],
        identifiers=_identifiers(study_type, start, seq, demo=demo, rng=rng),
        sites=sites,
        # About one in six has gone unconfirmed for six months: the coordinators' attention list.
        confirmed_days_ago=rng.randint(190, 500) if rng.random() < 0.16 else rng.randint(0, 150),
    )


# --- the realistic set, through the services ------------------------------------------------


def _user(email: str) -> User:
    return User.objects.get(email=f"{email}@{DEMO_DOMAIN}")


def _record(draft: StudyDraft, state: str) -> StudyRecord:
    data = {k: v for k, v in draft.fields.items() if k != "therapeutic_area"}
    return StudyRecord.model_validate(
        {
            "state": state,
            "source": "demo",
            "identifiers": [
                {"scheme": scheme, "value": value, "is_primary": index == 0}
                for index, (scheme, value) in enumerate(draft.identifiers)
            ],
            "conditions": [{"name": c.name_en, "icd10": c.icd10} for c in draft.conditions],
            "interventions": [
                {"type": kind, "name": name, "description": text}
                for kind, name, text in draft.interventions
            ],
            "outcomes": [
                {"kind": kind, "measure": measure, "time_frame": frame}
                for kind, measure, frame in draft.outcomes
            ],
            "sites": [
                {
                    "organisation": site.organisation.name,
                    "city": site.organisation.city,
                    "country": site.organisation.country,
                    "region": site.organisation.region.code if site.organisation.region else None,
                    "principal_investigator": site.investigator,
                    "contact_email": site.contact_email,
                    "recruitment_status": site.status,
                    "target_enrolment": site.target,
                    "start_date": site.start,
                }
                for site in draft.sites
            ],
            **data,
        }
    )


_EVERY_STATE = [
    StudyState.DRAFT,
    StudyState.SUBMITTED,
    StudyState.RETURNED,
    StudyState.PUBLISHED,
    StudyState.COMPLETED,
    StudyState.WITHDRAWN,
    StudyState.ARCHIVED,
]


def _coordinator(region: Region) -> User:
    return _user("bertil" if region.code == "18" else f"coordinator.{REGION_SLUGS[region.code]}")


def _researcher(region: Region) -> User:
    return _user("anna" if region.code == "03" else f"researcher.{REGION_SLUGS[region.code]}")


def demo_studies_load(*, seed: int, count: int = DEMO_STUDIES) -> dict[str, int]:
    """The realistic set through record_apply and the workflow services; idempotent."""
    rng = random.Random(f"registry-demo-{seed}")  # noqa: S311  (demo data, not secrets)
    pools = pools_load()
    today = timezone.localdate()
    office = _user("cecilia")
    matcher = OrganisationMatcher()
    counts = {"created": 0, "unchanged": 0, "updated": 0}
    for index in range(count):
        draft = study_draw(rng, pools, index, today, demo=True)
        state = _EVERY_STATE[index] if index < len(_EVERY_STATE) else draft.state
        if state == StudyState.PUBLISHED and draft.fields["actual_end_date"]:
            state = StudyState.COMPLETED
        researcher = _researcher(draft.lead_region)
        wanted = StudyState.SUBMITTED if state == StudyState.RETURNED else state
        result = record_apply(
            record=_record(draft, wanted), by=researcher, reason=_REASON, matcher=matcher
        )
        counts[str(result.outcome)] += 1
        if result.outcome != Outcome.CREATED:
            continue
        study = result.study
        study.editors.add(researcher)
        if state == StudyState.RETURNED:
            study_return(
                study=study,
                by=_coordinator(draft.lead_region),
                comment="Please add the ethics case number and a plain-language summary in "
                "English.",
            )
        for site, site_draft in zip(
            study.sites.order_by("id"), _site_order(study, draft), strict=True
        ):
            for reported_on, value in site_draft.reports:
                site_set_recruitment(
                    site=site,
                    by=office,
                    status=site_draft.status,
                    actual_enrolment=value,
                    reported_on=reported_on,
                    reason=_REASON,
                )
        if study.is_public and index % 9 == 4:
            study_update(
                study=study,
                by=researcher,
                data={"summary_sv": study.summary_sv + " Nu kan även anhöriga delta."},
                reason="Relatives may now take part.",
            )
    return counts


def _site_order(study: Study, draft: StudyDraft) -> list[SiteDraft]:
    by_organisation = {site.organisation.pk: site for site in draft.sites}
    return [
        by_organisation[pk]
        for pk in study.sites.order_by("id").values_list("organisation", flat=True)
    ]


# --- the synthetic generator, in bulk -------------------------------------------------------


def _batches(total: int, size: int) -> Iterator[range]:
    for first in range(0, total, size):
        yield range(first, min(first + size, total))


class _Table:
    """Plain multi-row inserts for one model: the generator's rows skip the ORM's per-value work.

    Dates and JSON are adapted by their fields; everything else goes to the driver as is.
    """

    def __init__(self, model: type[models.Model], *, with_id: bool = False) -> None:
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.table = model._meta.db_table
        self.attnames = [f.attname for f in fields]
        self.adapted = {
            f.attname: f for f in fields if isinstance(f, models.DateField | models.JSONField)
        }
        self.defaults = {
            f.attname: f.get_db_prep_save(f.get_default(), connection)
            for f in fields
            if not f.primary_key
        }
        self._adapted_values: dict[tuple[str, Any], Any] = {}
        quote = connection.ops.quote_name
        # Table and column names come from the model, never from input.
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(self.table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )

    def reserve(self, count: int) -> list[int]:
        """Ids for the next rows (the generator names children's parents before inserting)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            table = connection.ops.quote_name(self.table)
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            first = int(cursor.fetchone()[0]) + 1
        return list(range(first, first + count))

    def _adapt(self, field: models.Field[Any, Any], value: Any) -> Any:
        if isinstance(field, models.JSONField):
            return field.get_db_prep_save(value, connection)
        key = (field.attname, value)  # dates repeat: adapt each one once
        if key not in self._adapted_values:
            self._adapted_values[key] = field.get_db_prep_save(value, connection)
        return self._adapted_values[key]

    def insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        values = []
        for row in rows:
            out = []
            for name in self.attnames:
                if name in row:
                    value = row[name]
                    field = self.adapted.get(name)
                    if field is not None and value is not None:
                        value = self._adapt(field, value)
                    out.append(value)
                else:
                    out.append(self.defaults[name])
            values.append(out)
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, values)


def _study_row(pk: int, draft: StudyDraft, now: datetime) -> dict[str, Any]:
    public = draft.state in (StudyState.PUBLISHED, StudyState.COMPLETED)
    actual = sum(s.actual for s in draft.sites if s.actual is not None)
    return {
        **draft.fields,
        "id": pk,
        "state": draft.state,
        "lead_region_id": draft.lead_region.pk,
        "primary_sponsor_id": draft.sponsor.pk if draft.sponsor else None,
        "actual_enrolment": actual or None,
        "source": SYNTHETIC_SOURCE,
        "created_at": now,
        "updated_at": now,
        "published_at": now if public else None,
        "status_confirmed_at": now - timedelta(days=draft.confirmed_days_ago),
    }


def studies_generate(*, count: int, seed: int, stdout: TextIO | None = None) -> int:
    """N synthetic studies with sites, identifiers and enrolment reports, written in bulk.

    Run it inside a transaction (the demo-data command does): ids are reserved per batch.
    """
    rng = random.Random(f"registry-synthetic-{seed}")  # noqa: S311  (demo data, not secrets)
    pools = pools_load()
    today = timezone.localdate()
    now = timezone.now()
    first_seq = Study.objects.filter(source=SYNTHETIC_SOURCE).count()
    tables = {Study: _Table(Study, with_id=True), Site: _Table(Site, with_id=True)}
    tables |= {
        model: _Table(model)
        for model in (
            StudyIdentifier,
            StudyCondition,
            StudyIntervention,
            StudyOutcome,
            EnrolmentReport,
        )
    }
    if connection.vendor == "sqlite":
        # One long transaction: a page cache that holds it saves spilling pages to the WAL.
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
    started = time.monotonic()
    last_pk: int | None = None
    for batch in _batches(count, _BATCH):
        drafts = [study_draw(rng, pools, first_seq + i, today) for i in batch]
        study_ids = tables[Study].reserve(len(drafts))
        site_ids = iter(tables[Site].reserve(sum(len(d.sites) for d in drafts)))
        rows: dict[type[models.Model], list[dict[str, Any]]] = {model: [] for model in tables}
        for pk, draft in zip(study_ids, drafts, strict=True):
            rows[Study].append(_study_row(pk, draft, now))
            rows[StudyIdentifier] += [
                {"study_id": pk, "scheme": scheme, "value": value, "is_primary": index == 0}
                for index, (scheme, value) in enumerate(draft.identifiers)
            ]
            rows[StudyCondition] += [
                {"study_id": pk, "name": c.name_sv, "icd10": c.icd10} for c in draft.conditions
            ]
            rows[StudyIntervention] += [
                {"study_id": pk, "type": kind, "name": name, "description": text}
                for kind, name, text in draft.interventions
            ]
            rows[StudyOutcome] += [
                {"study_id": pk, "kind": kind, "measure": measure, "time_frame": frame}
                for kind, measure, frame in draft.outcomes
            ]
            for site in draft.sites:
                site_pk = next(site_ids)
                organisation = site.organisation
                rows[Site].append(
                    {
                        "id": site_pk,
                        "study_id": pk,
                        "organisation_id": organisation.pk,
                        "region_id": organisation.region_id,
                        "country": organisation.country,
                        "principal_investigator": site.investigator,
                        "contact_email": site.contact_email,
                        "recruitment_status": site.status,
                        "target_enrolment": site.target,
                        "actual_enrolment": site.actual,
                        "start_date": site.start,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                rows[EnrolmentReport] += [
                    {
                        "site_id": site_pk,
                        "reported_on": day,
                        "actual_enrolment": value,
                        "created_at": now,
                    }
                    for day, value in site.reports
                ]
        for model, table in tables.items():
            table.insert(rows[model])
        last_pk = study_ids[-1]
        if stdout is not None:
            rate = batch.stop / max(time.monotonic() - started, 1e-6)
            stdout.write(f"  {batch.stop} of {count} studies ({rate:.0f} a second)\n")
    if last_pk is not None:
        audit_record(
            actor=None,
            action="study.generate",
            obj=Study.objects.get(pk=last_pk),
            reason=_REASON,
            label=f"{count} synthetic studies",
            changes={
                "studies": [first_seq, first_seq + count],
                "seed": [None, seed],
                "source": [None, SYNTHETIC_SOURCE],
            },
        )
    return count


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    """The realistic demo studies, or with `--studies N` N synthetic ones for scale."""
    seed = int(options.get("seed") or 2025)
    quiet = bool(options.get("quiet"))
    count = options.get("studies")
    if count is not None:
        started = time.monotonic()
        studies_generate(count=int(count), seed=seed, stdout=None if quiet else stdout)
        registry_statistics_refresh()
        if not quiet:
            seconds = time.monotonic() - started
            stdout.write(f"Generated {count} synthetic studies in {seconds:.1f} s.\n")
        return
    counts = demo_studies_load(seed=seed)
    if not quiet:
        stdout.write(
            "Demo studies: created {created}, updated {updated}, unchanged {unchanged}.\n".format(
                **counts
            )
        )
