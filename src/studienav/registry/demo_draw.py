"""One coherent demo study, drawn from a condition's template.

What is tested, the sponsor, the sites, who may take part, the texts, the dates, the status and
the identifiers all fit one condition's template (`demo_templates.py`): no radiotherapy for
type 2 diabetes, no dental clinic in an antifungal drug trial, no man in a pregnancy study.
Deterministic for a given random generator; statuses follow the dates as seen from `today`.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from typing import Any

from studienav.core.demo import REGION_SLUGS
from studienav.core.models import Organisation, OrganisationType, Region
from studienav.registry import demo_templates as tpl
from studienav.registry.demo_identifiers import identifiers_draw
from studienav.registry.demo_sites import (
    Pools,
    email_address,
    person,
    phone_number,
    sites_pick,
)
from studienav.registry.demo_templates import COMPANIES, Drug, Template, Treatment, templates
from studienav.registry.icd10 import icd10_chapter
from studienav.registry.models import (
    EthicsStatus,
    InterventionType,
    OutcomeKind,
    OverallStatus,
    Phase,
    Sex,
    SiteStatus,
    SponsorType,
    StudyState,
    StudyType,
)
from studienav.search.conditions import Condition, conditions

# Identifier serials: the realistic set numbers its studies below this, the generator above.
_DEMO_SERIALS = 1000


@cache
def condition_by_code() -> dict[str, Condition]:
    """The vocabulary's conditions by ICD-10 code: the names a template's condition goes by."""
    return {c.icd10: c for c in conditions() if c.icd10}


@cache
def _weights() -> tuple[int, ...]:
    return tuple(accumulate(t.weight for t in templates()))


# --- study shapes -----------------------------------------------------------------------------

_ACADEMIC_FUNDERS = ["Vetenskapsrådet", "Regionala forskningsrådet Mellansverige", "ALF-medel"]
# The two universities whose regions also sponsor drug and device trials in their name.
_MEDICAL_UNIVERSITIES = {"03", "18"}

_INDUSTRY_PHASES: list[tuple[str, int]] = [
    (Phase.PHASE_1, 1),
    (Phase.PHASE_1_2, 1),
    (Phase.PHASE_2, 3),
    (Phase.PHASE_2_3, 1),
    (Phase.PHASE_3, 6),
    (Phase.PHASE_4, 1),
]
_ACADEMIC_PHASES: list[tuple[str, int]] = [
    (Phase.PHASE_2, 2),
    (Phase.PHASE_3, 2),
    (Phase.PHASE_4, 6),
]
# Follow-up in months, target enrolment and duration in years, by phase or study type.
_SHAPES: dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[float, float]]] = {
    Phase.PHASE_1: ((3, 6), (12, 16, 24, 32, 48), (1.0, 2.0)),
    Phase.PHASE_1_2: ((6, 12), (30, 40, 60, 80), (1.5, 3.0)),
    Phase.PHASE_2: ((6, 12), (40, 60, 80, 120, 160, 240), (2.0, 3.5)),
    Phase.PHASE_2_3: ((12, 24), (200, 300, 450, 600), (2.5, 4.0)),
    Phase.PHASE_3: ((12, 24, 36), (300, 450, 600, 900, 1200, 2000, 3000), (2.5, 5.0)),
    Phase.PHASE_4: ((12, 24), (100, 150, 200, 300, 500, 800), (2.0, 4.0)),
    StudyType.DEVICE: ((6, 12, 24), (40, 60, 100, 150, 200, 400), (1.5, 3.5)),
    StudyType.OTHER_INTERVENTIONAL: ((6, 12, 24), (60, 80, 120, 200, 300, 600), (2.0, 4.0)),
    StudyType.OBSERVATIONAL: ((12, 24, 36, 60), (100, 200, 400, 1000, 2000), (2.0, 7.0)),
}
_COMPARATORS = {
    "placebo": ("placebo", "placebo"),
    "standard": ("standardbehandling", "standard treatment"),
}
_DESIGNS: dict[str, str] = {
    StudyType.DRUG: "Randomised, double-blind, placebo-controlled, parallel groups",
    StudyType.DEVICE: "Randomised, open-label, controlled",
    StudyType.OTHER_INTERVENTIONAL: "Randomised, open-label, controlled",
    StudyType.OBSERVATIONAL: "Prospective cohort",
}
_SECONDARY_OUTCOMES: dict[str, tuple[str, str]] = {
    StudyType.DRUG: ("Biverkningar", "Adverse events"),
    StudyType.DEVICE: ("Biverkningar och produktfel", "Adverse events and device deficiencies"),
}
_QUALITY_OF_LIFE = ("Hälsorelaterad livskvalitet (EQ-5D)", "Health-related quality of life (EQ-5D)")
_OPEN_DESIGN = "Open-label, dose escalation, single group"
_STATE_WEIGHTS: list[tuple[str, int]] = [
    (StudyState.PUBLISHED, 70),
    (StudyState.DRAFT, 4),
    (StudyState.SUBMITTED, 4),
    (StudyState.RETURNED, 2),
    (StudyState.WITHDRAWN, 2),
    (StudyState.ARCHIVED, 1),
]
UNREGISTERED = (StudyState.DRAFT, StudyState.SUBMITTED, StudyState.RETURNED)
OVER = (OverallStatus.COMPLETED, OverallStatus.TERMINATED)
# How far back the studies start (years), and how far ahead the planned ones.
_YEARS_BACK = 10
_DAYS_AHEAD = 180


@dataclass
class SiteDraft:
    """One drawn site: where, its status and enrolment, who runs it, its enrolment reports."""

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
    template: Template
    confirmed_days_ago: int = 0
    swedish: bool = True  # the record's one-language texts are in Swedish (else English)
    # Key days: the ethics application and approval, registration (or, unregistered, the
    # record's creation), recruitment closed or paused, and the last change.
    days: dict[str, date | None] = field(default_factory=dict)


def _upper_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():
        return text  # mRNA, pH: the case is part of the name
    return text[:1].upper() + text[1:]


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([value for value, _w in pairs], [w for _v, w in pairs])[0]


def _code(rng: random.Random, company: str) -> str:
    """A development code in the company's own shape (AZD1234, LY3437943)."""
    pattern = rng.choice(COMPANIES[company].codes)
    return "".join(str(rng.randint(0, 9)) if char == "#" else char for char in pattern)


def working_day(day: date) -> date:
    """The day itself, or the Friday before a weekend: offices register on working days."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def round_nicely(value: float) -> int:
    """A planned number as people write it: 37 -> 40, 263 -> 260."""
    if value < 20:
        return max(2, round(value))
    step = 10 if value < 400 else 50
    return int(round(value / step) * step)


# --- drawing one study ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tested:
    """What a study tests, with its texts in both languages."""

    kind: str
    sv: str
    en: str
    description_sv: str = ""
    description_en: str = ""
    comparator: str = ""  # a key of _COMPARATORS, or "" (open, single group)
    treatment: Treatment | None = None


def _study_type(rng: random.Random, template: Template) -> str:
    pairs = list(template.types) or [
        (StudyType.DRUG, 40 if template.drugs else 0),
        (StudyType.DEVICE, 12 if template.devices else 0),
        (StudyType.OTHER_INTERVENTIONAL, 23 if template.methods else 0),
        (StudyType.OBSERVATIONAL, 25),
    ]
    return _weighted(rng, [(t, w) for t, w in pairs if w])


def _drug_tested(rng: random.Random, template: Template, company: str, phase: str) -> _Tested:
    drug: Drug | None = None
    if company:
        owned = [d for d in template.drugs if d.owner == company]
        if owned and (rng.random() < 0.65 or not COMPANIES[company].codes):
            drug = rng.choice(owned)
    else:
        free = [d for d in template.drugs if not d.owner] or list(template.drugs)
        drug = rng.choice(free)
    if drug is None:
        code = _code(rng, company)
        name_sv = name_en = code
        kind = InterventionType.DRUG
    else:
        name_sv, name_en = drug.sv, drug.en
        kind = InterventionType.BIOLOGICAL if drug.biological else InterventionType.DRUG
    if phase in (Phase.PHASE_1, Phase.PHASE_1_2) or template.healthy_volunteers:
        comparator = "placebo" if template.healthy_volunteers else ""
    elif company:
        comparator = "placebo" if rng.random() < 0.7 else "standard"
    elif phase == Phase.PHASE_4:
        comparator = "standard"
    else:
        comparator = rng.choice(("placebo", "standard"))
    if comparator:
        sv, en = _COMPARATORS[comparator]
        description = (f"{name_sv} jämfört med {sv}", f"{name_en} compared with {en}")
    else:
        description = (f"{name_sv} i stigande doser", f"{name_en} in rising doses")
    return _Tested(kind, name_sv, name_en, *description, comparator=comparator)


def _texts(
    rng: random.Random,
    template: Template,
    condition: Condition,
    study_type: str,
    tested: _Tested | None,
    phase: str,
    months: int,
) -> dict[str, str]:
    """Titles and plain-language summaries in Swedish and English."""
    people_sv, people_en = template.people
    aim_sv, aim_en = (tested.treatment.aim if tested and tested.treatment else None) or (
        template.aim
    )
    cond_sv, cond_en = condition.name_sv, condition.name_en
    where_sv, where_en = template.in_title or (f"vid {cond_sv}", f"in {cond_en}")
    if tested is not None and cond_sv.lower() in tested.sv.lower():
        where_sv = where_en = ""  # "Syrgasbehandling vid misstänkt hjärtinfarkt" says it
    if study_type == StudyType.DRUG and tested is not None:
        if template.healthy_volunteers:
            title = (
                f"{_upper_first(tested.sv)} hos {people_sv}",
                f"{_upper_first(tested.en)} in {people_en}",
            )
        elif not tested.comparator:
            title = (
                f"Säkerhet och dosering av {tested.sv} {where_sv}",
                f"Safety and dosing of {tested.en} {where_en}",
            )
        else:
            comp_sv, comp_en = _COMPARATORS[tested.comparator]
            title = (
                f"{_upper_first(tested.sv)} jämfört med {comp_sv} {where_sv}",
                f"{_upper_first(tested.en)} versus {comp_en} {where_en}",
            )
        if tested.comparator:
            comp_sv, comp_en = _COMPARATORS[tested.comparator]
            how = (
                f"Deltagarna lottas till {tested.sv} eller {comp_sv}",
                f"Participants are randomly given {tested.en} or {comp_en}",
            )
        else:
            how = (
                f"Alla deltagare får {tested.sv}, och dosen höjs stegvis när tidigare grupper "
                "har tålt den",
                f"All participants receive {tested.en}, and the dose is raised step by step once "
                "earlier groups have tolerated it",
            )
        summary = (
            f"Studien undersöker om läkemedlet {tested.sv} kan {aim_sv} hos {people_sv}. "
            f"{how[0]}. De följs i {months} månader med besök på mottagningen och blodprover.",
            f"The study tests whether the medicine {tested.en} can {aim_en} in {people_en}. "
            f"{how[1]}. They are followed for {months} months with clinic visits and blood "
            "tests.",
        )
    elif study_type == StudyType.DEVICE and tested is not None:
        what = ("ett diagnostiskt hjälpmedel", "a diagnostic tool")
        if tested.kind == InterventionType.DEVICE:
            what = ("en medicinteknisk produkt", "a medical device")
        title = (
            f"{_upper_first(tested.sv)} hos {people_sv}" if where_sv else _upper_first(tested.sv),
            f"{_upper_first(tested.en)} in {people_en}" if where_en else _upper_first(tested.en),
        )
        summary = (
            f"Studien prövar {what[0]} ({tested.sv}) som ska {aim_sv} hos {people_sv}. "
            f"Deltagarna följs i {months} månader och jämförs med dem som får vanlig vård.",
            f"The study tests {what[1]} ({tested.en}) meant to {aim_en} in {people_en}. "
            f"Participants are followed for {months} months and compared with those who "
            "receive usual care.",
        )
    elif study_type == StudyType.OTHER_INTERVENTIONAL and tested is not None:
        title = (
            f"{_upper_first(tested.sv)} {where_sv}".rstrip() + ": en randomiserad studie",
            f"{_upper_first(tested.en)} {where_en}".rstrip() + ": a randomised trial",
        )
        summary = (
            f"Studien jämför {tested.sv} med vanlig vård för {people_sv}. Målet är att "
            f"{aim_sv}. Deltagarna följs i {months} månader.",
            f"The study compares {tested.en} with usual care for {people_en}. The aim is to "
            f"{aim_en}. Participants are followed for {months} months.",
        )
    else:
        title = rng.choice(template.observational)
        summary = (
            f"Vi följer {people_sv} i {months} månader för att lära oss mer om sjukdomen och "
            "dess behandling. Att delta innebär enkäter och prover vid ordinarie besök; "
            "ingen behandling ändras.",
            f"We follow {people_en} for {months} months to learn more about the disease and "
            "its treatment. Taking part means questionnaires and samples at regular visits; "
            "no treatment is changed.",
        )
    title = (title[0].strip(), title[1].strip())
    summary_sv, summary_en = summary
    if not _mentions(summary_sv, (cond_sv, *condition.synonyms_sv)):
        summary_sv += f" Studien gäller {cond_sv}."
    if not _mentions(summary_en, (cond_en, *condition.synonyms_en)):
        summary_en += f" The study concerns {cond_en}."
    if tested is None:
        scientific = f"{title[1]}: a prospective cohort study"
    elif study_type == StudyType.DRUG:
        scientific = f"A phase {phase.replace('_', '/')} trial of {tested.en} in {people_en}"
    elif study_type == StudyType.DEVICE:
        scientific = f"A clinical investigation of {tested.en} in {people_en}"
    else:
        scientific = (
            f"A randomised controlled trial of {tested.en} compared with usual care in {people_en}"
        )
    return {
        "public_title": title[0],
        "public_title_en": title[1],
        "scientific_title": scientific,
        "summary_sv": summary_sv,
        "summary_en": summary_en,
    }


def _mentions(text: str, names: tuple[str, ...]) -> bool:
    lowered = f" {text.lower()} "
    return any(f" {name.lower()}" in lowered or f"({name.lower()}" in lowered for name in names)


def _age_line(low: int, high: int | None) -> tuple[str, str] | None:
    if high == 0:
        return None  # newborns: the template's criteria say how old
    if high is None:
        return f"Ålder {low} år eller äldre", f"Aged {low} or older"
    return f"Ålder {low}–{high} år", f"Aged {low} to {high} years"


def eligibility(
    rng: random.Random,
    template: Template,
    *,
    study_type: str,
    ages: tuple[int, int | None],
    swedish: bool,
) -> tuple[str, str]:
    """Inclusion and exclusion criteria for this condition, one criterion a paragraph."""
    lang = 0 if swedish else 1
    low, high = ages
    children = high is not None and high <= 17
    inclusion = [t[lang] for t in rng.sample(template.inclusion, k=min(2, len(template.inclusion)))]
    if rng.random() < 0.4:
        inclusion = inclusion[:1]
    age = _age_line(low, high)
    if age is not None:
        inclusion.append(age[lang])
    if children:
        consent = (
            "Skriftligt samtycke från vårdnadshavare",
            "Written consent from parents or guardians",
        )
    else:
        consent = rng.choice(
            (
                ("Har lämnat skriftligt informerat samtycke", "Signed informed consent"),
                (
                    "Kan förstå studieinformationen och lämna skriftligt samtycke",
                    "Able to understand the study information and give written consent",
                ),
            )
        )
    inclusion.append(consent[lang])
    exclusion = [t[lang] for t in rng.sample(template.exclusion, k=min(2, len(template.exclusion)))]
    if rng.random() < 0.35:
        exclusion = exclusion[:1]
    may_be_pregnant = template.sex != Sex.MALE and not template.icd10.startswith("O") and low >= 12
    if study_type == StudyType.DRUG:
        if may_be_pregnant:
            exclusion.append(("Graviditet eller amning", "Pregnancy or breastfeeding")[lang])
        exclusion.append(
            (
                "Deltagande i en annan läkemedelsprövning de senaste 30 dagarna",
                "Participation in another drug trial within the past 30 days",
            )[lang]
        )
    elif study_type != StudyType.OBSERVATIONAL:
        exclusion.append(
            (
                "Deltar redan i en annan interventionsstudie",
                "Already taking part in another interventional study",
            )[lang]
        )
    elif not children:
        exclusion.append(
            (
                "Kan inte tillgodogöra sig information på svenska",
                "Unable to take in information in Swedish",
            )[lang]
        )
    return "\n\n".join(inclusion), "\n\n".join(exclusion)


def _site_units(
    template: Template, study_type: str, tested: _Tested | None, ages: tuple[int, int | None]
) -> frozenset[str]:
    """The kinds of unit that run this study: the treatment's own, else the condition's (drug
    trials at the physicians', in primary care only for the common chronic conditions)."""
    units = template.units
    if tested is not None and tested.treatment is not None and tested.treatment.units:
        units = tested.treatment.units
    elif study_type == StudyType.DRUG:
        physicians = units - {tpl.SURGERY}
        if not template.primary_care_drugs:
            physicians -= {tpl.PRIMARY}
        units = physicians or units
    low, high = ages
    if high is not None and high <= 17:
        narrowed = units & {tpl.PAEDIATRICS, tpl.DENTAL}
    elif low >= 18:
        narrowed = units - {tpl.PAEDIATRICS}
    else:
        narrowed = units
    return narrowed or units


def _status(start: date, end: date, today: date, rng: random.Random) -> str:
    if start > today:
        return OverallStatus.NOT_YET_RECRUITING
    if end < today:
        return OverallStatus.TERMINATED if rng.random() < 0.06 else OverallStatus.COMPLETED
    roll = rng.random()
    if roll < 0.72:
        return OverallStatus.RECRUITING
    if roll < 0.85:
        return OverallStatus.ACTIVE_NOT_RECRUITING
    if roll < 0.94:
        return OverallStatus.ENROLLING_BY_INVITATION
    return OverallStatus.SUSPENDED


def _site_status(study_status: str, site_start: date | None, today: date) -> str:
    if study_status in (*OVER, OverallStatus.ACTIVE_NOT_RECRUITING, OverallStatus.WITHDRAWN):
        return SiteStatus.CLOSED
    if site_start is None or site_start > today:
        return SiteStatus.NOT_YET_RECRUITING
    if study_status == OverallStatus.SUSPENDED:
        return SiteStatus.PAUSED
    if study_status == OverallStatus.ENROLLING_BY_INVITATION:
        return SiteStatus.BY_INVITATION
    return SiteStatus.RECRUITING


def _reports(rng: random.Random, start: date, until: date, actual: int) -> list[tuple[date, int]]:
    if actual <= 0 or until <= start:
        return []
    count = rng.randint(1, 3)
    span = (until - start).days
    days = sorted({rng.randint(1, span) for _ in range(count)})
    values = [*sorted(rng.randint(0, actual) for _ in days[:-1]), actual]
    return [(start + timedelta(days=d), v) for d, v in zip(days, values, strict=True)]


def _dates(
    rng: random.Random, state: str, today: date, duration: tuple[float, float]
) -> tuple[date, date]:
    """Planned start and end, fitting the state the study ends up in."""
    first_day = date(today.year - _YEARS_BACK, 1, 1)
    years = rng.uniform(*duration)
    length = timedelta(days=int(365 * years))
    if state in UNREGISTERED:
        start = today + timedelta(days=rng.randint(45, _DAYS_AHEAD))
    elif state in (StudyState.COMPLETED, StudyState.ARCHIVED):
        # Archived records were completed a good while ago.
        latest = today - length - timedelta(days=450 if state == StudyState.ARCHIVED else 30)
        span = max((latest - first_day).days, 30)
        start = first_day + timedelta(days=rng.randint(0, span))
    else:
        # More recent years hold more studies: the registry keeps planned and ongoing ones.
        span = (today - first_day).days + _DAYS_AHEAD
        start = first_day + timedelta(days=int(span * rng.random() ** 0.45))
    return start, start + length


def study_draw(
    rng: random.Random,
    pools: Pools,
    seq: int,
    today: date,
    *,
    demo: bool = False,
    state: str | None = None,
) -> StudyDraft:
    """One coherent study drawn from a condition's template: what is tested, sponsor, sites,
    who may take part, texts, dates, status and identifiers. `state` forces the final state."""
    cumulative = _weights()
    template = templates()[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
    condition = condition_by_code()[template.icd10]
    study_type = _study_type(rng, template)
    # Sponsor: companies run most drug trials of conditions they have drugs for, device makers
    # some device investigations; regions and universities everything else.
    company = ""
    tested: _Tested | None = None
    phase: str = Phase.NOT_APPLICABLE
    if study_type == StudyType.DRUG:
        if template.companies and rng.random() < 0.6:
            company = rng.choice(template.companies)
        phases = _INDUSTRY_PHASES if company else _ACADEMIC_PHASES
        if template.is_paediatric or template.healthy_volunteers:
            phases = [(p, w) for p, w in phases if p not in (Phase.PHASE_1, Phase.PHASE_1_2)]
        phase = _weighted(rng, phases)
        tested = _drug_tested(rng, template, company, phase)
    elif study_type == StudyType.DEVICE:
        device = rng.choice(template.devices)
        if device.makers and rng.random() < 0.5:
            company = rng.choice(device.makers)
        tested = _Tested(device.kind, device.sv, device.en, treatment=device)
    elif study_type == StudyType.OTHER_INTERVENTIONAL:
        method = rng.choice(template.methods)
        tested = _Tested(method.kind, method.sv, method.en, treatment=method)
    elif template.companies and rng.random() < 0.1:
        company = rng.choice(template.companies)  # a company's non-interventional study
    industry = bool(company)
    swedish = not industry
    shape = _SHAPES[phase if study_type == StudyType.DRUG else study_type]
    months = rng.choice(shape[0])
    target = rng.choice(shape[1])
    ages = rng.choice(template.ages)
    # Dates and state.
    if state is None:
        state = _weighted(rng, _STATE_WEIGHTS)
    start, end = _dates(rng, state, today, shape[2])
    if state in UNREGISTERED:
        status: str = OverallStatus.NOT_YET_RECRUITING
    elif state == StudyState.WITHDRAWN:
        status = OverallStatus.WITHDRAWN
    elif state == StudyState.ARCHIVED:
        status = OverallStatus.COMPLETED
    else:
        status = _status(start, end, today, rng)
        if state == StudyState.COMPLETED and status not in OVER:
            status = OverallStatus.COMPLETED
        if status in OVER:
            state = StudyState.COMPLETED
    applied = working_day(start - timedelta(days=rng.randint(60, 260)))
    approved = min(applied + timedelta(days=rng.randint(25, 75)), start - timedelta(days=7))
    approved = working_day(max(approved, applied + timedelta(days=10)))
    if rng.random() < 0.25:
        registered = applied + timedelta(days=rng.randint(5, 20))  # before the approval
    else:
        registered = approved + timedelta(days=rng.randint(1, 30))
    registered = working_day(min(registered, start - timedelta(days=1), today - timedelta(days=1)))
    applied = min(applied, registered - timedelta(days=3))
    created = registered
    if state in UNREGISTERED:
        created = working_day(today - timedelta(days=rng.randint(3, 45)))
        applied = min(applied, created - timedelta(days=2))
    ethics_approved = approved <= today
    started = status not in (OverallStatus.NOT_YET_RECRUITING, OverallStatus.WITHDRAWN)
    over = status in OVER
    closed: date | None = None
    paused: date | None = None
    if status in (*OVER, OverallStatus.ACTIVE_NOT_RECRUITING):
        until = min(end, today - timedelta(days=1))
        closed = start + timedelta(days=int((until - start).days * rng.uniform(0.45, 0.9)))
        closed = max(closed, start + timedelta(days=30))
    elif status == OverallStatus.SUSPENDED:
        paused = today - timedelta(days=rng.randint(7, max(8, min(200, (today - start).days))))
        paused = max(paused, start + timedelta(days=30))
    recruiting_until = closed or paused or today
    # Sites.
    units = _site_units(template, study_type, tested, ages)
    lead, organisations = sites_pick(rng, pools, units, industry=industry, study_type=study_type)
    sites: list[SiteDraft] = []
    for position, organisation in enumerate(organisations):
        site_start = start if position == 0 else start + timedelta(days=rng.randint(0, 150))
        if site_start > recruiting_until:
            site_start = start
        site_target = max(
            5, round_nicely(target / max(2, len(organisations)) * rng.uniform(0.5, 1.2))
        )
        actual: int | None = None
        if started:
            elapsed = (min(recruiting_until, end) - site_start).days
            share = min(1.0, elapsed / max(1, (end - site_start).days * 0.7))
            actual = round(site_target * share * rng.uniform(0.5, 1.1))
            if over:
                actual = rng.randint(site_target // 2, site_target)
        pi_first, pi_last = person(rng)
        region_code = organisation.region.code if organisation.region else ""
        opened = site_start if started and site_start <= today else None
        sites.append(
            SiteDraft(
                organisation=organisation,
                status=_site_status(status, opened, today),
                target=site_target,
                actual=actual,
                start=opened,
                investigator=f"{pi_first} {pi_last}",
                # Sites beyond the node are reached through the study's own contacts.
                contact_email=email_address(pi_first, pi_last, region_code)
                if region_code in REGION_SLUGS
                else "",
                reports=_reports(rng, site_start, recruiting_until, actual or 0) if opened else [],
            )
        )
    # Sponsor.
    sponsor: Organisation | None = None
    if industry:
        sponsor_name = COMPANIES[company].name
        sponsor = pools.companies.get(company)
        funding = [sponsor_name]
    else:
        university = pools.universities.get(lead)
        may_be_university = study_type in (StudyType.OBSERVATIONAL, StudyType.OTHER_INTERVENTIONAL)
        if (
            university
            and (may_be_university or lead in _MEDICAL_UNIVERSITIES)
            and (rng.random() < 0.5)
        ):
            sponsor = university
            sponsor_name = university.name
        else:
            sponsor_name = pools.regions[lead].name
        funding = [rng.choice(template.funders or tuple(_ACADEMIC_FUNDERS))]
        if rng.random() < 0.4:
            other = rng.choice(_ACADEMIC_FUNDERS)
            if other not in funding:
                funding.append(other)
    # Texts.
    texts = _texts(rng, template, condition, study_type, tested, phase, months)
    inclusion, exclusion = eligibility(
        rng, template, study_type=study_type, ages=ages, swedish=swedish
    )
    lang = 0 if swedish else 1
    picked = [condition]
    if template.related and rng.random() < 0.2:
        picked.append(condition_by_code()[rng.choice(template.related)])
    interventions = []
    if tested is not None:
        description = (tested.description_sv, tested.description_en)[lang]
        interventions.append((tested.kind, (tested.sv, tested.en)[lang], description))
    primary = rng.choice(template.outcomes)[lang]
    secondary = _SECONDARY_OUTCOMES.get(study_type, _QUALITY_OF_LIFE)[lang]
    frame = (f"{months} månader", f"{months} months")[lang]
    outcomes: list[tuple[str, str, str]] = [
        (OutcomeKind.PRIMARY, primary, frame),
        (OutcomeKind.SECONDARY, secondary, frame),
    ]
    first, last = person(rng)
    lead_site = sites[0]
    fields: dict[str, Any] = {
        **texts,
        "inclusion_criteria": inclusion,
        "exclusion_criteria": exclusion,
        "keywords": [condition.name_sv, condition.name_en, *condition.synonyms_sv[:1]],
        "study_type": study_type,
        "phase": phase,
        "design": _OPEN_DESIGN
        if study_type == StudyType.DRUG and tested is not None and not tested.comparator
        else _DESIGNS[study_type],
        "sponsor_type": SponsorType.INDUSTRY if industry else SponsorType.ACADEMIC,
        "primary_sponsor_name": sponsor_name,
        "funding_sources": funding,
        "public_contact_name": f"{first} {last}",
        "public_contact_email": email_address(first, last, lead),
        "public_contact_phone": phone_number(rng, lead_site.organisation, lead),
        "scientific_contact_name": lead_site.investigator,
        "scientific_contact_email": lead_site.contact_email,
        "scientific_contact_affiliation": lead_site.organisation.name,
        "min_age_years": ages[0],
        "max_age_years": ages[1],
        "sex": template.sex,
        "healthy_volunteers": template.healthy_volunteers,
        "in_hospital_care": any(
            s.organisation.type in (OrganisationType.HOSPITAL, OrganisationType.CLINIC)
            for s in sites
        ),
        "in_primary_care": any(s.organisation.type == OrganisationType.PRIMARY_CARE for s in sites),
        "in_dental_care": any(s.organisation.type == OrganisationType.DENTAL for s in sites),
        "overall_status": status,
        "planned_start_date": start,
        "actual_start_date": start if started else None,
        "planned_end_date": end,
        "actual_end_date": end if over else None,
        "target_enrolment": target,
        "registered_on": None if state in UNREGISTERED else registered,
        "ethics_status": EthicsStatus.APPROVED if ethics_approved else EthicsStatus.PENDING,
        "ethics_approved_on": approved if ethics_approved else None,
        "ethics_committee": "Etikprövningsmyndigheten"
        if applied.year >= 2019
        else "Regionala etikprövningsnämnden i Uppsala",
        "ipd_sharing": rng.choice(("yes", "no", "undecided")),
        "therapeutic_area": icd10_chapter(condition.icd10) or "",
    }
    serial = seq if demo else _DEMO_SERIALS + seq
    if demo and seq >= _DEMO_SERIALS:
        raise ValueError(f"the realistic set has room for {_DEMO_SERIALS} studies")
    identifiers = identifiers_draw(
        rng,
        index=serial,
        study_type=study_type,
        industry=industry,
        applied=applied,
        registered=registered,
    )
    last_change = max(
        d
        for d in (
            created,
            fields["actual_start_date"],
            closed,
            paused,
            fields["actual_end_date"],
            *(day for s in sites for day, _v in s.reports),
        )
        if d is not None and d <= today
    )
    return StudyDraft(
        fields=fields,
        state=state,
        lead_region=pools.regions[lead],
        sponsor=sponsor,
        conditions=picked,
        interventions=interventions,
        outcomes=outcomes,
        identifiers=identifiers,
        sites=sites,
        # About one in six has gone unconfirmed for six months: the coordinators' attention list.
        confirmed_days_ago=rng.randint(190, 500) if rng.random() < 0.16 else rng.randint(0, 150),
        template=template,
        swedish=swedish,
        days={
            "applied": applied,
            "approved": approved,
            "created": created,
            "closed": closed,
            "paused": paused,
            "changed": last_change,
        },
    )
