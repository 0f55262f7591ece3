"""Demo study requests: a realistic year (about 90 in 2025) and a few open ones, in every state."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO

from django.utils import timezone

from studienav.core.audit import audit_record
from studienav.core.models import Organisation, Region, Role, RoleAssignment, User
from studienav.core.selectors import node_regions
from studienav.feasibility.figures import is_working_day
from studienav.feasibility.models import (
    Answer,
    AnswerChannel,
    ClarificationPause,
    Confidentiality,
    DeclineReason,
    Outcome,
    Recipient,
    RegionPart,
    RequestChannel,
    RequestKind,
    RequestState,
    StudyRequest,
)
from studienav.registry.models import Phase, Study, StudyType, TherapeuticArea

DEMO_YEAR = 2025
DEMO_COUNT = 90
_REASON = "demo data"
_MARK = "@demo.example"

PLANNED_STUDIES = [
    ("Semaglutide-like agent in type 2 diabetes with CKD", "IV", "Type 2 diabetes", "drug", "3"),
    ("Bispecific antibody in relapsed multiple myeloma", "II", "Multiple myeloma", "drug", "2"),
    ("Oral anticoagulant after TAVI", "IX", "Aortic stenosis", "drug", "3"),
    ("Biologic in moderate-to-severe atopic dermatitis", "XII", "Atopic dermatitis", "drug", "3"),
    ("Closed-loop insulin pump in children", "IV", "Type 1 diabetes", "device", "na"),
    ("Inhaled therapy for COPD exacerbations", "X", "COPD", "drug", "2"),
    (
        "Anti-amyloid antibody in early Alzheimer's disease",
        "VI",
        "Alzheimer's disease",
        "drug",
        "3",
    ),
    ("Digital CBT for adolescent depression", "V", "Depression", "other_interventional", "na"),
    ("JAK inhibitor in ulcerative colitis", "XI", "Ulcerative colitis", "drug", "3"),
    ("New hip implant coating", "XIII", "Hip osteoarthritis", "device", "na"),
    ("RSV vaccine in adults over 60", "I", "RSV infection", "drug", "3"),
    ("PD-1 inhibitor adjuvant in melanoma", "II", "Melanoma", "drug", "3"),
    ("Gene therapy in haemophilia B", "III", "Haemophilia B", "drug", "1_2"),
    ("SGLT2 inhibitor in heart failure with preserved EF", "IX", "Heart failure", "drug", "4"),
    ("Registry-based study of sepsis care", "I", "Sepsis", "observational", "na"),
]
QUESTIONS = [
    "Which comparator is used in the control arm?",
    "Is the synopsis final, or may inclusion criteria change?",
    "Please confirm the planned number of sites in Sweden.",
]


def _moment(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _add_working_days(day: date, days: int) -> date:
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def _coordinators() -> dict[int, User]:
    found: dict[int, User] = {}
    for assignment in (
        RoleAssignment.objects.active()
        .filter(role=Role.NODE_COORDINATOR)
        .select_related("user")
        .order_by("user__email")
    ):
        if assignment.region_id is not None:
            found.setdefault(assignment.region_id, assignment.user)
    return found


def _clinics(region: Region) -> list[Organisation]:
    return list(
        Organisation.objects.filter(region=region, type__in=["clinic", "hospital"]).order_by("id")
    )


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    """About 90 requests received in 2025 and a handful open now, with answers and outcomes."""
    if StudyRequest.objects.filter(contact_email__endswith=_MARK).exists():
        return
    office = User.objects.filter(email=f"cecilia{_MARK}").first()
    sponsors = list(Organisation.objects.filter(type="company").order_by("name"))
    coordinators = _coordinators()
    regions = [r for r in node_regions() if r.pk in coordinators]
    if office is None or not sponsors or not regions:
        stdout.write("feasibility: core demo data missing, no study requests created\n")
        return
    david = User.objects.filter(email=f"david{_MARK}").first()
    studies = list(Study.objects.order_by("id")[:40])
    days = sorted(
        date(DEMO_YEAR, 1, 2) + timedelta(days=rng.randrange(0, 355)) for _ in range(DEMO_COUNT)
    )
    for number, received_day in enumerate(days, start=1):
        _demo_request(
            rng=rng,
            reference=f"{DEMO_YEAR}-{number:03d}",
            received=_moment(received_day, rng.randrange(8, 17)),
            sponsors=sponsors,
            regions=regions,
            coordinators=coordinators,
            office=office,
            david=david,
            studies=studies,
            finished=True,
        )
    today = timezone.localdate()
    for number, (age, state) in enumerate(
        [
            (1, RequestState.RECEIVED),
            (2, RequestState.RECEIVED),
            (4, RequestState.CLARIFICATION),
            (6, RequestState.FORWARDED),
            (8, RequestState.FORWARDED),
            (12, RequestState.FORWARDED),
            (15, RequestState.FORWARDED),
        ],
        start=901,
    ):
        _demo_request(
            rng=rng,
            reference=f"{today.year}-{number}",
            received=_moment(today - timedelta(days=age), 10),
            sponsors=sponsors,
            regions=regions,
            coordinators=coordinators,
            office=office,
            david=david,
            studies=studies,
            finished=False,
            open_state=state,
        )
    total = StudyRequest.objects.filter(contact_email__endswith=_MARK).count()
    stdout.write(f"feasibility: {total} demo study requests\n")


def _demo_request(
    *,
    rng: random.Random,
    reference: str,
    received: datetime,
    sponsors: list[Organisation],
    regions: list[Region],
    coordinators: dict[int, User],
    office: User,
    david: User | None,
    studies: list[Study],
    finished: bool,
    open_state: str = "",
) -> None:
    title, area, indication, study_type, phase = rng.choice(PLANNED_STUDIES)
    sponsor = rng.choice(sponsors)
    received_day = timezone.localtime(received).date()
    by_site = david is not None and rng.random() < 0.4
    david_org = _org_of(david) if by_site else None
    request = StudyRequest.objects.create(
        reference=reference,
        kind=RequestKind.SITE if rng.random() < 0.7 else RequestKind.COUNTRY,
        channel=RequestChannel.SITE
        if by_site
        else rng.choice([RequestChannel.NATIONAL, RequestChannel.NATIONAL, RequestChannel.EMAIL]),
        sponsor_organisation=david_org or sponsor,
        contact_name="Clinical Operations",
        contact_email=f"feasibility.{sponsor.pk}{_MARK}",
        submitted_by=david if by_site else None,
        title=title,
        therapeutic_area=TherapeuticArea(area),
        indication=indication,
        study_type=StudyType(study_type),
        phase=Phase(phase),
        intervention=title.split(" in ")[0],
        ce_marked=True if study_type == "device" else None,
        inclusion_criteria="Adults 18–80 years with confirmed diagnosis.",
        exclusion_criteria="Pregnancy; severe renal impairment.",
        sites_wanted=rng.choice([2, 3, 4, 6]),
        patients_wanted=rng.choice([20, 40, 60, 120]),
        planned_start=received_day + timedelta(days=rng.randrange(90, 240)),
        recruitment_months=rng.choice([12, 18, 24]),
        answer_deadline=_add_working_days(received_day, rng.choice([10, 12, 15])),
        confidentiality=Confidentiality.CONFIDENTIAL,
        received_at=received,
    )
    audit_record(
        actor=None, action="feasibility.request.receive", obj=request, before={}, reason=_REASON
    )
    state = open_state or RequestState.ANSWERED
    clock = received
    if (finished and rng.random() < 0.15) or state == RequestState.CLARIFICATION:
        asked = clock + timedelta(hours=rng.randrange(2, 30))
        resumed = (
            None
            if state == RequestState.CLARIFICATION
            else asked + timedelta(days=rng.randrange(1, 6))
        )
        ClarificationPause.objects.create(
            request=request,
            question=rng.choice(QUESTIONS),
            asked_by=office,
            asked_at=asked,
            clarification="" if resumed is None else "Confirmed, see the updated synopsis.",
            resumed_at=resumed,
        )
        clock = resumed or asked
    if state in (RequestState.RECEIVED, RequestState.CLARIFICATION):
        request.state = state
        request.save(update_fields=["state"])
        return
    if finished and rng.random() < 0.07:
        request.state = RequestState.NOT_FORWARDED
        request.not_forwarded_reason = "The sponsor withdrew the request."
        request.save(update_fields=["state", "not_forwarded_reason"])
        return
    forwarded_day = _add_working_days(
        timezone.localtime(clock).date(), rng.choice([0, 1, 1, 2, 2, 3, 5])
    )
    forwarded = _moment(forwarded_day, 15)
    chosen = rng.sample(regions, k=rng.randrange(2, len(regions) + 1))
    for region in chosen:
        _demo_part(
            rng=rng,
            request=request,
            region=region,
            coordinator=coordinators[region.pk],
            office=office,
            forwarded=forwarded,
            finished=finished,
        )
    request.state = RequestState.FORWARDED
    request.forwarded_at = forwarded
    if finished:
        late = rng.random() < 0.12
        sent_day = request.answer_deadline + timedelta(
            days=rng.randrange(1, 5) if late else -rng.randrange(0, 3)
        )
        request.state = RequestState.ANSWERED
        request.answer_sent_at = max(_moment(sent_day, 16), forwarded + timedelta(days=1))
        parts = request.parts.select_related("region")
        # Some sent by the deadline without one region, which had not compiled in time;
        # drawn apart from `rng` so that the rest of the demo year stays as it was.
        draw = random.Random(request.reference).random()  # noqa: S311  (demo data, not secrets)
        if not late and len(chosen) > 2 and draw < 0.15:
            missing = parts.order_by("-region__code").first()
            assert missing is not None
            parts.filter(pk=missing.pk).update(summary="", compiled_at=None, compiled_by=None)
            request.late_reason = f"{missing.region.short_name} had not compiled by the deadline."
        parts.filter(compiled_at__isnull=False).update(sent_at=request.answer_sent_at)
        request.compiled_answer = "\n\n".join(
            f"{p.region.short_name}: {p.summary}" for p in parts if p.compiled_at
        )
        roll = rng.random()
        if roll < 0.25 and studies:
            request.outcome = Outcome.STUDY_STARTED
            request.outcome_study = rng.choice(studies)
        elif roll < 0.45:
            request.outcome = Outcome.SITE_SELECTED
        elif roll < 0.65:
            request.outcome = Outcome.NOT_PLACED
        if request.outcome:
            request.outcome_recorded_at = request.answer_sent_at + timedelta(days=60)
    request.save()


def _org_of(user: User | None) -> Organisation | None:
    if user is None:
        return None
    assignment = RoleAssignment.objects.active().filter(user=user, role=Role.SPONSOR).first()
    return assignment.organisation if assignment else None


def _demo_part(
    *,
    rng: random.Random,
    request: StudyRequest,
    region: Region,
    coordinator: User,
    office: User,
    forwarded: datetime,
    finished: bool,
) -> None:
    part = RegionPart.objects.create(
        request=request, region=region, forwarded_at=forwarded, forwarded_by=office
    )
    clinics = _clinics(region)
    if not clinics:
        return
    interested = 0
    patients = 0
    for clinic in rng.sample(clinics, k=min(len(clinics), rng.randrange(1, 4))):
        recipient = Recipient.objects.create(
            part=part,
            organisation=clinic,
            name=f"Forskningsenheten, {clinic.name}"[:200],
            email=f"research.{clinic.pk}{_MARK}",
            selected_by=coordinator,
            selected_at=forwarded + timedelta(hours=20),
            link_nonce=secrets.token_hex(16),
        )
        if rng.random() < (0.2 if finished else 0.6):
            continue  # no answer
        is_interested = rng.random() < 0.55
        reason = "" if is_interested else rng.choice(list(DeclineReason.values))
        count = rng.randrange(3, 40) if is_interested else None
        Answer.objects.create(
            recipient=recipient,
            is_interested=is_interested,
            eligible_patients_per_year=count,
            capacity="One research nurse at 50 %" if is_interested else "",
            decline_reason=reason,
            comment="Two competing studies recruit now." if reason == "other" else "",
            channel=rng.choice([AnswerChannel.LINK, AnswerChannel.LINK, AnswerChannel.ACCOUNT]),
            answered_at=forwarded + timedelta(days=rng.randrange(2, 9)),
        )
        interested += int(is_interested)
        patients += count or 0
    if finished:
        part.summary = (
            f"{interested} interested clinic(s), about {patients} eligible patients per year."
        )
        part.compiled_at = forwarded + timedelta(days=9)
        part.compiled_by = coordinator
        part.save(update_fields=["summary", "compiled_at", "compiled_by"])
