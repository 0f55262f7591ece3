"""Demo health-data requests: a year (2025) across the seven regions, a handful open now in
every state, and the patella fracture example (X-rays of 9,000 fractures 2011–2023)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO

from django.utils import timezone

from studienav.core.audit import audit_record
from studienav.core.models import Region, Role, RoleAssignment, User
from studienav.core.selectors import node_regions
from studienav.disclosure import documents, files
from studienav.disclosure.deadlines import working_days_add
from studienav.disclosure.models import (
    ApprovalKind,
    CaseState,
    ClarificationMessage,
    Condition,
    DataWanted,
    Decision,
    DecisionKind,
    Delivery,
    DeliveryFormat,
    DisclosureRequest,
    EthicsApproval,
    HarmOutcome,
    LegalBasis,
    RegionCase,
    RequestState,
    SecrecyAssessment,
    SecureChannel,
)

DEMO_YEAR = 2025
DEMO_COUNT = 34
_REASON = "demo data"
_DOMAIN = "@demo.example"
PATELLA_TITLE = "Patellafrakturer – demografi, resultat och reoperationer"
# X-rays per region in the patella example: different numbers from each region, 9,000 in all.
PATELLA_IMAGES = {
    "03": 1800,
    "04": 1250,
    "17": 1150,
    "18": 1350,
    "19": 1100,
    "20": 1250,
    "21": 1100,
}


@dataclass(frozen=True)
class Project:
    title: str
    purpose: str
    registers: str
    variables: str
    population: str
    images: str
    language: str
    first_year: int = 2015


PROJECTS = [
    Project(
        "Förmaksflimmer och stroke efter TAVI",
        "Registerstudie av strokerisk efter kateterburen aortaklaffbyte.",
        "Journalsystem (Cosmic), SWEDEHEART",
        "Ålder, kön, diagnoser (ICD-10), läkemedel, datum för ingrepp och stroke",
        "Patienter med TAVI 2015–2023",
        "",
        "sv",
    ),
    Project(
        "Antibiotic prescribing in primary care for children",
        "Cohort study of prescribing patterns and resistance in children under 12.",
        "Primary-care records, laboratory system (microbiology)",
        "Age, sex, diagnosis codes, prescriptions (ATC), culture results",
        "Children 0–11 years with a primary-care visit for respiratory infection 2018–2024",
        "",
        "en",
    ),
    Project(
        "Bröstcancerscreening och intervallcancer",
        "Utvärdering av mammografiscreening och intervallcancer.",
        "RIS/PACS (mammografi), Nationellt kvalitetsregister för bröstcancer",
        "Screeningdatum, BI-RADS, tumörstorlek, diagnosdatum",
        "Kvinnor 40–74 år kallade till screening 2016–2022",
        "Mammografibilder vid screening före intervallcancer, omkring 400 undersökningar",
        "sv",
    ),
    Project(
        "Sepsis in the emergency department: time to antibiotics",
        "Quality-improvement research on time to antibiotics and 30-day mortality.",
        "Emergency-department records, laboratory system, death register linkage",
        "Triage time, vital signs, lactate, antibiotic start, 30-day mortality",
        "Adults with sepsis (ICD-10 A40–A41) in the emergency department 2019–2024",
        "",
        "en",
    ),
    Project(
        "Höftfraktur hos äldre: väntetid till operation",
        "Samband mellan väntetid till operation och komplikationer.",
        "Journalsystem, operationsplaneringssystem, Rikshöft",
        "Ankomsttid, operationstid, ASA-klass, komplikationer, mortalitet",
        "Patienter 65 år och äldre med höftfraktur 2014–2023",
        "Röntgenbilder av höft före operation, urval om 500",
        "sv",
    ),
    Project(
        "Graviditetsdiabetes och barnets tillväxt",
        "Uppföljning av barn till mödrar med graviditetsdiabetes.",
        "Mödrahälsovård (Obstetrix), barnhälsovård",
        "Glukosvärden, födelsevikt, längd och vikt till fem års ålder",
        "Mödrar med graviditetsdiabetes och deras barn 2012–2020",
        "",
        "sv",
    ),
]
QUESTIONS = [
    "Vilka variabler behövs för att besvara frågeställning 2? Vi vill minimera uttaget.",
    "Omfattar etikgodkännandet även bilddata? Bifoga gärna ändringsbeslutet.",
    "Please confirm who holds the code key and where it is stored.",
]
ANSWERS = [
    "Bara ålder, kön och datum för reoperation; övriga variabler stryks.",
    "Ja, ändringsbeslutet 2024-03456-02 omfattar röntgenbilder. Det är nu bifogat.",
    "The key is held by the registry holder, separately from the research group.",
]
CONDITIONS = (
    "Uppgifterna får endast användas för det angivna forskningsprojektet, får inte lämnas "
    "vidare och ska förvaras i den säkra miljö som anges i ansökan. Inga försök att identifiera "
    "enskilda får göras."
)


def _moment(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _officers() -> dict[int, User]:
    found: dict[int, User] = {}
    for assignment in (
        RoleAssignment.objects.active()
        .filter(role=Role.DISCLOSURE_OFFICER)
        .select_related("user")
        .order_by("user__email")
    ):
        if assignment.region_id is not None:
            found.setdefault(assignment.region_id, assignment.user)
    return found


def _researchers() -> list[User]:
    return list(
        User.objects.filter(
            email__endswith=_DOMAIN,
            roles__role=Role.RESEARCHER,
            roles__revoked_at__isnull=True,
        )
        .distinct()
        .order_by("email")
    )


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    """About 35 requests submitted in 2025 and seven open now, each region deciding on its
    own; loaded once."""
    if DisclosureRequest.objects.filter(requester__email__endswith=_DOMAIN).exists():
        return
    officers = _officers()
    researchers = _researchers()
    regions = [r for r in node_regions() if r.pk in officers]
    if not researchers or not regions:
        stdout.write("disclosure: core demo data missing, no health-data requests created\n")
        return
    anna = next((u for u in researchers if u.email == f"anna{_DOMAIN}"), researchers[0])
    _patella(rng, anna, regions, officers)
    days = sorted(
        date(DEMO_YEAR, 1, 7) + timedelta(days=rng.randrange(0, 330)) for _ in range(DEMO_COUNT)
    )
    for day in days:
        chosen = rng.sample(regions, k=rng.choice([1, 1, 2, 2, 3, 4, 7]))
        request = _request(rng, rng.choice(researchers), rng.choice(PROJECTS), chosen, day)
        for region in chosen:
            _case(rng, request, region, officers[region.pk], CaseState.CLOSED)
    today = timezone.localdate()
    open_states = [
        CaseState.RECEIVED,
        CaseState.ASSIGNED,
        CaseState.ASSESSING,
        CaseState.CLARIFICATION,
        CaseState.DECIDED,
        CaseState.DELIVERED,
    ]
    for age, state in zip([2, 5, 9, 14, 22, 30], open_states, strict=True):
        project = rng.choice(PROJECTS)
        chosen = rng.sample(regions, k=rng.choice([2, 3, 4]))
        request = _request(rng, rng.choice(researchers), project, chosen, today - timedelta(age))
        for index, region in enumerate(chosen):
            # The first region is in the state shown; the others are as far or behind.
            behind = open_states[: open_states.index(state) + 1]
            target = state if index == 0 else rng.choice(behind)
            _case(rng, request, region, officers[region.pk], target)
    draft = _request(rng, anna, PROJECTS[0], [], today, submit=False)
    draft.purpose = ""
    draft.save(update_fields=["purpose"])
    total = DisclosureRequest.objects.filter(requester__email__endswith=_DOMAIN).count()
    stdout.write(f"disclosure: {total} demo health-data requests\n")


def _request(
    rng: random.Random,
    requester: User,
    project: Project,
    regions: list[Region],
    day: date,
    *,
    submit: bool = True,
) -> DisclosureRequest:
    submitted = _moment(day, rng.randrange(8, 17))
    organisation = (
        RoleAssignment.objects.active()
        .filter(user=requester, role=Role.RESEARCHER, organisation__isnull=False)
        .values_list("organisation", flat=True)
        .first()
    )
    request = DisclosureRequest.objects.create(
        requester=requester,
        organisation_id=organisation,
        state=RequestState.SUBMITTED if submit else RequestState.DRAFT,
        title=project.title,
        purpose=project.purpose,
        legal_basis=LegalBasis.PUBLIC_INTEREST,
        is_pseudonymised=True,
        key_holder="Registerhållaren" if project.language == "sv" else "The registry holder",
        delivery_format=DeliveryFormat.DICOM if project.images else DeliveryFormat.CSV,
        secure_channel=SecureChannel.SFTP,
        retain_until=date(day.year + 10, 12, 31),
        deletion_plan="Raderas tio år efter projektets slut."
        if project.language == "sv"
        else "Deleted ten years after the end of the project.",
        accepted_conditions=list(Condition.values),
        decision_language=project.language,
        created_at=submitted - timedelta(days=rng.randrange(1, 20)),
        updated_at=submitted,
        submitted_at=submitted if submit else None,
    )
    audit_record(
        actor=requester, action="disclosure.request.create", obj=request, before={}, reason=_REASON
    )
    approval_year = max(2019, day.year - rng.randrange(0, 3))
    EthicsApproval.objects.create(
        request=request,
        kind=ApprovalKind.APPROVAL,
        case_number=f"{approval_year}-{rng.randrange(1000, 99999):05d}-01",
        decided_on=date(approval_year, 1, 15) if approval_year < day.year else day - timedelta(30),
    )
    for region in regions:
        DataWanted.objects.create(
            request=request,
            region=region,
            registers=project.registers,
            variables=project.variables,
            period_start=date(project.first_year, 1, 1),
            period_end=date(2023, 12, 31),
            population=project.population,
            includes_images=bool(project.images),
            images=project.images,
        )
    if submit:
        audit_record(
            actor=requester,
            action="disclosure.request.submit",
            obj=request,
            before={},
            reason=_REASON,
        )
    return request


def _next(rng: random.Random, moment: datetime, low: int, high: int) -> datetime:
    day = working_days_add(timezone.localtime(moment).date(), rng.randrange(low, high))
    return _moment(day, rng.randrange(8, 17))


def _case(
    rng: random.Random,
    request: DisclosureRequest,
    region: Region,
    officer: User,
    target: str,
    *,
    kind: str | None = None,
    images: int | None = None,
    clarify: bool | None = None,
) -> RegionCase:
    """One region's case, taken as far as `target` with plausible working-day gaps."""
    received = request.submitted_at or timezone.now()
    year = timezone.localtime(received).year
    number = RegionCase.objects.filter(reference__startswith=f"DU-{region.code}-{year}-").count()
    case = RegionCase.objects.create(
        request=request,
        region=region,
        reference=f"DU-{region.code}-{year}-{number + 1:04d}",
        received_at=received,
    )
    order = list(CaseState.values)
    reached = order.index(target)
    now = timezone.now()

    def step(state: str, action: str, **times: Any) -> None:
        case.state = state
        for name, value in times.items():
            setattr(case, name, value)
        case.save()
        audit_record(actor=officer, action=action, obj=case, before={}, reason=_REASON)

    if reached < order.index(CaseState.ASSIGNED):
        return case
    clock = min(_next(rng, received, 1, 3), now)
    step(CaseState.ASSIGNED, "disclosure.case.assign", handler=officer, assigned_at=clock)
    if reached < order.index(CaseState.ASSESSING):
        return case
    clock = min(_next(rng, clock, 1, 6), now)
    SecrecyAssessment.objects.create(
        case=case,
        data_concerned="Pseudonymiserade journaluppgifter enligt ansökan",
        harm_test="Uppgifterna lämnas utan direkta identitetsuppgifter; risken att enskild "
        "lider men bedöms liten med förbehåll.",
        outcome=HarmOutcome.CONDITIONS,
        legal_basis_checked=True,
        ethics_covers=True,
        minimisation="Personnummer ersätts med löpnummer; fritext lämnas inte ut.",
        internal_notes="Demo: kontakt med verksamhetschef om uttaget.",
        assessed_by=officer,
        assessed_at=clock,
    )
    step(CaseState.ASSESSING, "disclosure.case.assess")
    if clarify is None:
        clarify = target == CaseState.CLARIFICATION or rng.random() < 0.2
    if clarify:
        index = rng.randrange(len(QUESTIONS))
        asked = min(_next(rng, clock, 1, 4), now)
        ClarificationMessage.objects.create(
            case=case, author=officer, is_question=True, text=QUESTIONS[index], sent_at=asked
        )
        if target == CaseState.CLARIFICATION:
            step(CaseState.CLARIFICATION, "disclosure.case.pause", paused_since=asked)
            return case
        clock = min(_next(rng, asked, 1, 8), now)
        ClarificationMessage.objects.create(
            case=case,
            author=request.requester,
            is_question=False,
            text=ANSWERS[index],
            sent_at=clock,
        )
    if reached < order.index(CaseState.DECIDED):
        return case
    clock = min(_next(rng, clock, 2, 16), now)
    kind = (
        kind
        or rng.choices(
            [
                DecisionKind.APPROVE,
                DecisionKind.CONDITIONS,
                DecisionKind.IN_PART,
                DecisionKind.REJECT,
            ],
            weights=[3, 8, 2, 1],
        )[0]
    )
    language = request.decision_language
    decision = Decision.objects.create(
        case=case,
        kind=kind,
        scope="Uppgifter 2018–2023; äldre uppgifter lämnas inte ut."
        if kind == DecisionKind.IN_PART
        else "",
        conditions=CONDITIONS if kind == DecisionKind.CONDITIONS else "",
        reasons="Uppgifterna kan inte lämnas ut utan risk för att enskilda identifieras."
        if kind in (DecisionKind.REJECT, DecisionKind.IN_PART)
        else "",
        appeal=documents.appeal_text_default(region, language)
        if kind != DecisionKind.APPROVE
        else "",
        language=language,
        decided_by=officer,
        decided_at=clock,
    )
    decision.pdf_stored_name, decision.pdf_sha256 = files.bytes_store(
        documents.decision_pdf(decision, language)
    )
    decision.save(update_fields=["pdf_stored_name", "pdf_sha256"])
    audit_record(
        actor=officer, action="disclosure.decision.make", obj=decision, before={}, reason=_REASON
    )
    step(CaseState.DECIDED, "disclosure.case.decide", decided_at=clock)
    if reached < order.index(CaseState.DELIVERED):
        return case
    if decision.is_approving:
        clock = min(_next(rng, clock, 5, 55), now)
        count = images or rng.randrange(2, 6)
        Delivery.objects.create(
            case=case,
            description=f"{count} filer enligt beslut {case.reference}",
            delivered_on=timezone.localtime(clock).date(),
            channel=request.secure_channel or SecureChannel.SFTP,
            manifest=[
                {
                    "name": f"{case.reference}/{n:05d}.dcm" if images else f"extract_{n}.csv",
                    "sha256": f"{rng.getrandbits(256):064x}",
                    "size": rng.randrange(100_000, 9_000_000),
                }
                for n in range(1, min(count, 2000) + 1)
            ],
            recorded_by=officer,
            recorded_at=clock,
        )
        step(CaseState.DELIVERED, "disclosure.case.deliver", delivered_at=clock)
    if reached < order.index(CaseState.CLOSED):
        return case
    clock = min(_next(rng, clock, 1, 5), now)
    step(CaseState.CLOSED, "disclosure.case.close", closed_at=clock)
    return case


def _patella(
    rng: random.Random, anna: User, regions: list[Region], officers: dict[int, User]
) -> None:
    """The slide deck's example: X-rays of 9,000 patella fractures 2011–2023 from every
    region, different numbers from each, the images sent by existing practice."""
    project = Project(
        PATELLA_TITLE,
        "Kohortstudie på 9000 patellafrakturer mellan 2011 och 2023, en studie från Svenska "
        "Frakturregistret: demografi, resultat och reoperationer.",
        "Svenska Frakturregistret; röntgenarkiv (RIS/PACS) i varje region",
        "Röntgenbilder av knä före och efter behandling; ålder, kön, frakturtyp (AO/OTA), "
        "behandling, reoperation",
        "Patienter med patellafraktur (ICD-10 S82.0) registrerade i Svenska Frakturregistret "
        "2011–2023",
        "Röntgenbilder av knä (DICOM), olika antal från varje region, totalt omkring 9000",
        "sv",
        first_year=2011,
    )
    request = _request(rng, anna, project, regions, date(DEMO_YEAR, 2, 10))
    for index, region in enumerate(regions):
        _case(
            rng,
            request,
            region,
            officers[region.pk],
            CaseState.CLOSED,
            kind=DecisionKind.IN_PART if index == 5 else DecisionKind.CONDITIONS,
            images=PATELLA_IMAGES.get(region.code, 1000),
            clarify=index in (1, 4),
        )
