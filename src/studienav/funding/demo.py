"""Demo research funding: the 2025 and 2026 calls decided with reviews, declared conflicts and
follow-up reports, and the 2027 call open for applications, across the seven regions."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO

from django.utils import timezone

from studienav.core.audit import audit_record
from studienav.core.demo import DEMO_DOMAIN, REGION_SLUGS, _person
from studienav.core.models import Organisation, Region, Role, User
from studienav.funding.models import (
    Application,
    ApplicationState,
    BudgetLine,
    Call,
    CallState,
    CoApplicant,
    ConflictDeclaration,
    ConflictKind,
    Decision,
    DecisionOutcome,
    DiscussionNote,
    FollowUpReport,
    Review,
    ReviewAssignment,
)
from studienav.funding.selectors import applications_ranked
from studienav.registry.models import Study

_REASON = "demo data"
CRITERIA = [
    {"key": "quality", "title_sv": "Vetenskaplig kvalitet", "title_en": "Scientific quality"},
    {"key": "relevance", "title_sv": "Nytta för vården", "title_en": "Relevance for care"},
    {
        "key": "collaboration",
        "title_sv": "Samverkan mellan regionerna",
        "title_en": "Collaboration between the regions",
    },
]
SECTIONS = [
    {
        "key": "patients",
        "title_sv": "Patient- och brukarmedverkan",
        "title_en": "Patient and public involvement",
        "max_chars": 3000,
    }
]
DOCUMENTS = [
    {"key": "cv", "title_sv": "CV för huvudsökande", "title_en": "CV of the main applicant"},
    {
        "key": "ethics",
        "title_sv": "Etikgodkännande eller plan",
        "title_en": "Ethics approval or plan",
    },
]
PROJECTS = [
    ("Tidig mobilisering efter höftfraktur", "Early mobilisation after hip fracture", "sv"),
    ("Digital uppföljning av hjärtsvikt i primärvården", "Digital heart-failure follow-up", "sv"),
    ("Patellar fractures: outcomes in seven regions", "Patellar fractures in seven regions", "en"),
    ("Antibiotikaförskrivning vid urinvägsinfektion", "Antibiotics for urinary infection", "sv"),
    ("Registry-based trial of sepsis bundles", "Registry-based trial of sepsis bundles", "en"),
    (
        "Fysioterapi vid knäartros: en pragmatisk studie",
        "Physiotherapy in knee osteoarthritis",
        "sv",
    ),
    ("Depression screening after stroke", "Depression screening after stroke", "en"),
    ("Munhälsa hos äldre i särskilt boende", "Oral health in nursing homes", "sv"),
]
CALL_TEXT_SV = (
    "Regionala forskningsrådet utlyser medel för klinisk forskning som bedrivs i samverkan "
    "mellan minst två regioner i Mellansverige. Projekt med patientnytta och "
    "regionövergripande samarbete prioriteras."
)
CALL_TEXT_EN = (
    "The regional research council funds clinical research run jointly by at least two "
    "regions of the healthcare region Mellansverige. Projects that benefit patients and "
    "build collaboration between regions are given priority."
)


def _region_id(organisation: Organisation) -> int:
    assert organisation.region_id is not None
    return organisation.region_id


def _moment(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _call(year: int, office: User, *, opens: date, closes: date, decision: date) -> Call:
    call = Call.objects.create(
        reference=f"RFR-{year}",
        title_sv=f"Regionala forskningsrådets utlysning {year}",
        title_en=f"Regional research council call {year}",
        text_sv=CALL_TEXT_SV,
        text_en=CALL_TEXT_EN,
        opens_on=opens,
        closes_at=_moment(closes, 15),
        decision_on=decision,
        min_regions=2,
        budget_per_year=800_000,
        budget_total=2_000_000,
        max_years=3,
        first_year=year,
        sections=SECTIONS,
        criteria=CRITERIA,
        required_documents=DOCUMENTS,
        state=CallState.PUBLISHED,
        created_by=office,
        created_at=_moment(opens - timedelta(days=30)),
        published_at=_moment(opens - timedelta(days=14)),
    )
    audit_record(actor=office, action="funding.call.create", obj=call, before={}, reason=_REASON)
    return call


def _researchers() -> dict[str, tuple[User, Organisation]]:
    """One researcher per region, with the hospital their role is held at."""
    found: dict[str, tuple[User, Organisation]] = {}
    for code, slug in REGION_SLUGS.items():
        email = f"anna@{DEMO_DOMAIN}" if code == "03" else f"researcher.{slug}@{DEMO_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        role = user.roles.filter(role=Role.RESEARCHER, organisation__isnull=False).first()
        if role is not None and role.organisation is not None:
            found[code] = (user, role.organisation)
    return found


def _committee(seed: int, hospitals: dict[str, Organisation]) -> tuple[User, list[User]]:
    chair = _person(
        email=f"chair@{DEMO_DOMAIN}",
        name="Helena Wikström",
        seed=seed,
        roles=[(Role.FUNDING_CHAIR, None, None)],
    )
    reviewers = []
    frida = User.objects.filter(email=f"frida@{DEMO_DOMAIN}").first()
    if frida is not None:
        reviewers.append(frida)
    for index, (code, name) in enumerate(
        [("18", "Olof Gran"), ("21", "Mona Sjödin"), ("17", "Jonas Alm"), ("19", "Petra Ros")]
    ):
        reviewers.append(
            _person(
                email=f"reviewer.{index + 1}@{DEMO_DOMAIN}",
                name=name,
                seed=seed,
                roles=[
                    (Role.FUNDING_REVIEWER, None, None),
                    (Role.RESEARCHER, None, hospitals[code]),
                ],
            )
        )
    return chair, reviewers


def _application(
    call: Call,
    number: int,
    project: tuple[str, str, str],
    main: tuple[User, Organisation],
    partners: list[tuple[User, Organisation]],
    rng: random.Random,
) -> Application:
    user, organisation = main
    title = project[0] if project[2] == "sv" else project[1]
    submitted = call.closes_at - timedelta(days=rng.randint(1, 20))
    application = Application.objects.create(
        call=call,
        reference=f"{call.reference}-{number:03d}",
        main_applicant=user,
        organisation=organisation,
        region_id=_region_id(organisation),
        title=title,
        description=(
            "Projektet jämför arbetssätt i flera regioner."
            if project[2] == "sv"
            else "The project compares ways of working across regions."
        ),
        plan=(
            "År 1: rekrytering. År 2: uppföljning. År 3: analys."
            if project[2] == "sv"
            else "Year 1: recruitment. Year 2: follow-up. Year 3: analysis."
        ),
        section_texts={
            "patients": "Patientrådet deltar i planeringen."
            if project[2] == "sv"
            else "The patient council takes part in planning."
        },
        language=project[2],
        state=ApplicationState.SUBMITTED,
        created_at=submitted - timedelta(days=14),
        submitted_at=submitted,
    )
    for partner, partner_organisation in partners:
        CoApplicant.objects.create(
            application=application,
            name=partner.full_name,
            email=partner.email,
            organisation=partner_organisation,
            region_id=_region_id(partner_organisation),
            user=partner,
            language=partner.language,
            invited_at=submitted - timedelta(days=10),
            confirmed_at=submitted - timedelta(days=8),
            link_nonce=secrets.token_hex(16),
        )
    regions = [_region_id(organisation)] + [_region_id(p[1]) for p in partners]
    for year in call.years[: rng.randint(2, 3)]:
        for region_id in regions:
            BudgetLine.objects.create(
                application=application,
                region=Region.objects.get(pk=region_id),
                year=year,
                amount=rng.randrange(100_000, 600_000 // len(regions), 10_000),
            )
    audit_record(
        actor=user, action="funding.application.submit", obj=application, before={}, reason=_REASON
    )
    return application


def _review(
    application: Application,
    reviewers: list[User],
    chair: User,
    rng: random.Random,
    *,
    conflicted: User | None,
) -> None:
    if conflicted is not None:
        ConflictDeclaration.objects.create(
            application=application,
            member=conflicted,
            has_conflict=True,
            kind=ConflictKind.ORGANISATION,
            note="Samma klinik som huvudsökande.",
            declared_at=application.call.closes_at + timedelta(days=3),
        )
    chosen = [r for r in reviewers if r != conflicted][:3]
    rng.shuffle(chosen)
    quality = rng.randint(3, 7)
    for index, reviewer in enumerate(chosen):
        assignment = ReviewAssignment.objects.create(
            application=application,
            reviewer=reviewer,
            is_rapporteur=index == 0,
            assigned_by=chair,
            assigned_at=application.call.closes_at + timedelta(days=2),
        )
        ConflictDeclaration.objects.create(
            application=application,
            member=reviewer,
            has_conflict=False,
            declared_at=application.call.closes_at + timedelta(days=4),
        )
        moment = application.call.closes_at + timedelta(days=20 + index)
        Review.objects.create(
            assignment=assignment,
            scores={c["key"]: max(1, min(7, quality + rng.randint(-1, 1))) for c in CRITERIA},
            feasibility=rng.randint(1, 3),
            comments="Väl genomtänkt plan." if index % 2 else "Clear aims; budget is tight.",
            updated_at=moment,
            submitted_at=moment,
        )


def _decide(
    application: Application, chair: User, granted: bool, decided: date, rng: random.Random
) -> None:
    asked = sum(line.amount for line in application.budget_lines.all())
    amount = (asked * rng.choice([80, 90, 100]) // 100) // 10_000 * 10_000 if granted else 0
    Decision.objects.create(
        application=application,
        outcome=DecisionOutcome.GRANTED if granted else DecisionOutcome.REJECTED,
        amount=max(amount, 10_000) if granted else 0,
        reasons=(
            "Hög vetenskaplig kvalitet och tydlig samverkan."
            if granted
            else "Lägre prioritet i konkurrensen om medlen."
        ),
        letter_language=application.language,
        decided_by=chair,
        decided_at=_moment(decided, 10),
    )
    DiscussionNote.objects.create(
        application=application,
        author=chair,
        text="Diskuterad vid prioriteringsmötet.",
        written_at=_moment(decided - timedelta(days=7), 14),
    )
    application.state = ApplicationState.GRANTED if granted else ApplicationState.REJECTED
    application.save(update_fields=["state"])


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    """Three calls: 2025 and 2026 decided and followed up, 2027 open now."""
    if Call.objects.filter(reference="RFR-2025").exists():
        return
    seed = int(options.get("seed") or 2025)
    office = User.objects.filter(email=f"cecilia@{DEMO_DOMAIN}").first()
    researchers = _researchers()
    if office is None or len(researchers) < 3:
        return
    chair, reviewers = _committee(seed, {code: org for code, (_u, org) in researchers.items()})
    codes = sorted(researchers)
    studies = list(Study.objects.filter(merged_into__isnull=True).order_by("id")[:40])
    for year in (2025, 2026):
        call = _call(
            year,
            office,
            opens=date(year - 1, 11, 1),
            closes=date(year, 2, 15),
            decision=date(year, 5, 31),
        )
        for number, project in enumerate(PROJECTS[: 6 if year == 2025 else 8], start=1):
            main_code = codes[(number + year) % len(codes)]
            partner_codes = rng.sample([c for c in codes if c != main_code], rng.randint(1, 2))
            application = _application(
                call,
                number,
                project,
                researchers[main_code],
                [researchers[c] for c in partner_codes],
                rng,
            )
            # A reviewer from a partner's region declares a conflict now and then.
            conflicted = reviewers[1 + number % 4] if number % 3 == 0 else None
            _review(application, reviewers, chair, rng, conflicted=conflicted)
        # The better half of the ranking is granted, as the committee would.
        ranked = applications_ranked(list(Application.objects.filter(call=call)))
        for position, row in enumerate(ranked):
            application = row.application
            number = int(application.reference.rsplit("-", 1)[1])
            granted = position < len(ranked) // 2
            _decide(application, chair, granted, call.decision_on, rng)
            if not granted:
                continue
            for report_year in range(year, 2026):
                report = FollowUpReport.objects.create(
                    application=application,
                    year=report_year,
                    progress="Rekryteringen går enligt plan."
                    if application.language == "sv"
                    else "Recruitment is on track.",
                    publications=[f"10.1234/rfr.{year}.{number}.{report_year}"],
                    further_funding="Vetenskapsrådet" if position == 0 else "",
                    further_funding_amount=1_500_000 if position == 0 else 0,
                    submitted_by=application.main_applicant,
                    submitted_at=_moment(date(report_year + 1, 2, 20)),
                )
                if studies:
                    report.studies.set([studies[(number + report_year) % len(studies)]])
    open_call = _call(
        2027, office, opens=date(2026, 11, 15), closes=date(2027, 2, 15), decision=date(2027, 5, 31)
    )
    main = researchers[codes[0]]
    Application.objects.create(
        call=open_call,
        reference="RFR-2027-001",
        main_applicant=main[0],
        organisation=main[1],
        region_id=_region_id(main[1]),
        title="Hemmonitorering efter hjärtinfarkt",
        language="sv",
    )
    if not options.get("quiet"):
        stdout.write(
            f"Funding: 3 calls, {Application.objects.count()} applications; chair "
            f"chair@{DEMO_DOMAIN}, reviewers frida@ and reviewer.1–4@{DEMO_DOMAIN}\n"
        )
